package io.mingus.tasks;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Task administration. */
public final class TaskAdmin {
  TaskAdmin() {}

  /** Tasks by state and queue (either may be null). */
  public List<TaskRecord> list(TaskState state, String queue, int limit) {
    throw new UnsupportedOperationException("not yet");
  }

  /** queue -> state -> count. */
  public Map<String, Map<TaskState, Long>> counts() {
    throw new UnsupportedOperationException("not yet");
  }

  /** One task. */
  public Optional<TaskRecord> find(long id) {
    throw new UnsupportedOperationException("not yet");
  }

  /** failed (or cancelled) -> queued, attempt reset. */
  public boolean retry(long id) {
    throw new UnsupportedOperationException("not yet");
  }

  /** queued -> cancelled. */
  public boolean cancel(long id) {
    throw new UnsupportedOperationException("not yet");
  }

  /** Deletes finished tasks older than this, in batches. */
  public int prune(Duration olderThan, int batchSize) {
    throw new UnsupportedOperationException("not yet");
  }
}
