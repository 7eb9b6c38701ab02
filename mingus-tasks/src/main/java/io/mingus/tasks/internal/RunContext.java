package io.mingus.tasks.internal;

import io.mingus.db.Session;
import io.mingus.tasks.TaskContext;

/** What a running task sees; records whether the task asked for its session. Used on the task's thread only. */
final class RunContext implements TaskContext {
  private final Session session;
  private final TaskStore.Claimed claimed;
  private boolean used;

  RunContext(Session session, TaskStore.Claimed claimed) {
    this.session = session;
    this.claimed = claimed;
  }

  /** Whether the task asked for its session (and so may have written through it). */
  boolean used() {
    return used;
  }

  @Override
  public Session session() {
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
