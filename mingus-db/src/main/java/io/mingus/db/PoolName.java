package io.mingus.db;

import java.util.Locale;

/**
 * The three named connection pools of a {@link Database}.
 *
 * <p>{@link #MAIN} serves web requests, {@link #WORKER} serves background tasks, and {@link #ANALYTICS} serves long read-only queries and may point at a
 * read replica.
 */
public enum PoolName {
  /** Web requests and everything that does not ask for another pool. */
  MAIN("DB_"),
  /** Background tasks: claims, heartbeats, the tasks' own transactions. */
  WORKER("WORKER_DB_"),
  /** Read-only analytics, optionally on a replica ({@code ANALYTICS_DATABASE_URL}). */
  ANALYTICS("ANALYTICS_DB_");

  private final String envPrefix;

  PoolName(String envPrefix) {
    this.envPrefix = envPrefix;
  }

  /** The prefix of this pool's environment variables, such as {@code WORKER_DB_}. */
  public String envPrefix() {
    return envPrefix;
  }

  /** The lower-case name used in logs, metrics and JSON documents: {@code main}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The pool with this label.
   *
   * @throws IllegalArgumentException naming the allowed labels when there is none
   */
  public static PoolName of(String label) {
    for (PoolName p : values()) {
      if (p.label().equalsIgnoreCase(label) || (p == WORKER && "celery".equalsIgnoreCase(label))) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "unknown pool '" + label + "'; allowed: main, worker (alias celery), analytics");
  }
}
