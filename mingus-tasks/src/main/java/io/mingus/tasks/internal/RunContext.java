package io.mingus.tasks.internal;

import io.mingus.db.Session;
import io.mingus.tasks.TaskContext;

/**
 * What a running task sees; records whether the task asked for its session. Used on one thread at
 * a time. In a phased task's call phase it has no session: {@link #session()} says so.
 */
final class RunContext implements TaskContext {
  private final Session session;
  private final TaskStore.Claimed claimed;
  private boolean used;

  RunContext(Session session, TaskStore.Claimed claimed) {
    this.session = session;
    this.claimed = claimed;
  }

  /** The context of a phased task's call: no transaction. */
  static RunContext outsideTransaction(TaskStore.Claimed claimed) {
    return new RunContext(null, claimed);
  }

  /** Whether the task asked for its session (and so may have written through it). */
  boolean used() {
    return used;
  }

  @Override
  public Session session() {
    if (session == null) {
      throw new IllegalStateException("task " + claimed.id() + " '" + claimed.name() + "' asked for a session in its"
          + " call phase, which runs outside any transaction and holds no connection: read in prepare, write in"
          + " record");
    }
    used = true;
    return session;
  }

  @Override
  public long taskId() {
    return claimed.id();
  }

  @Override
  public String taskName() {
    return claimed.name();
  }

  @Override
  public int attempt() {
    return claimed.attempt();
  }

  @Override
  public int maxAttempts() {
    return claimed.maxAttempts();
  }
}
