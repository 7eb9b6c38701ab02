package io.mingus.tasks;

import io.mingus.db.Database;
import io.mingus.db.Session;
import java.util.List;

/** Enqueueing. Thread-safe; one per process. */
public final class TaskQueue {
  private final Database db;

  private TaskQueue(Database db) {
    this.db = db;
  }

  /** A queue on {@code db}; applies the module's migrations. */
  public static TaskQueue create(Database db) {
    return new TaskQueue(db);
  }

  /** Enqueues in the caller's transaction; returns the task id (or the existing task's id for a taken unique key). */
  public <P> long enqueue(Session session, Task<P> task, P payload, TaskOptions options) {
    throw new UnsupportedOperationException("not yet");
  }

  /** Enqueues in a transaction of its own, or joining the current one. */
  public <P> long enqueue(Task<P> task, P payload, TaskOptions options) {
    throw new UnsupportedOperationException("not yet");
  }

  /** Batch enqueue in the caller's transaction; ids in payload order. */
  public <P> List<Long> enqueueAll(Session session, Task<P> task, List<P> payloads, TaskOptions options) {
    throw new UnsupportedOperationException("not yet");
  }

  /** Task administration. */
  public TaskAdmin admin() {
    throw new UnsupportedOperationException("not yet " + db);
  }
}
