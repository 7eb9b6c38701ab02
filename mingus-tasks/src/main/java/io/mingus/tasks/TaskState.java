package io.mingus.tasks;

import java.util.Locale;

/** The life cycle of a task: queued, running, then succeeded, failed or cancelled. */
public enum TaskState {
  /** Waiting for its {@code run_at} and a free worker. */
  QUEUED,
  /** Claimed by a worker, which holds its lease and heartbeats. */
  RUNNING,
  /** Finished; its effects are committed. */
  SUCCEEDED,
  /** Finished without success: a non-retryable error, or retries used up. See its last error. */
  FAILED,
  /** Cancelled before it ran. */
  CANCELLED;

  /** The value stored in the {@code state} column: the lower-case name. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The state stored as {@code label}. */
  public static TaskState of(String label) {
    return valueOf(label.toUpperCase(Locale.ROOT));
  }

  /** Whether the task is finished (succeeded, failed or cancelled). */
  public boolean finished() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }
}
