package io.mingus.tasks;

import io.mingus.db.Database;
import io.mingus.db.PoolName;
import io.mingus.db.Propagation;
import io.mingus.db.TransactionOptions;
import io.mingus.tasks.internal.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Looks at and repairs tasks: list and count them by state and queue, show one with its last
 * error, retry a failed one, cancel a queued one, prune finished ones. Every method runs in a
 * transaction of its own on the main pool (or joins the caller's); pruning runs on the worker
 * pool. Thread-safe; obtained from {@link TaskQueue#admin()}.
 */
public final class TaskAdmin {
  private final Database db;
  private final TaskStore store;
  private final InstantSource clock;

  TaskAdmin(Database db, TaskStore store, InstantSource clock) {
    this.db = db;
    this.store = store;
    this.clock = clock;
  }

  /**
   * The newest tasks first, filtered by state and queue.
   *
   * @param state only tasks in this state, or {@code null} for all
   * @param queue only tasks of this queue, or {@code null} for all
   * @param limit at most this many; 1 to 10,000
   */
  public List<TaskRecord> list(TaskState state, String queue, int limit) {
    if (limit < 1 || limit > 10_000) {
      throw new IllegalArgumentException("limit must be 1 to 10000, was " + limit);
    }
    return db.fromTransaction(TransactionOptions.named("tasks.admin.list").withReadOnly(true),
        s -> store.list(s, state, queue, limit));
  }

  /** The number of tasks per queue and state (queues in name order; states with no task are left out). */
  public Map<String, Map<TaskState, Long>> counts() {
    return db.fromTransaction(TransactionOptions.named("tasks.admin.counts").withReadOnly(true),
        s -> store.counts(s, false));
  }

  /** One task, with its last error, or empty when there is none with this id. */
  public Optional<TaskRecord> find(long id) {
    return db.fromTransaction(TransactionOptions.named("tasks.admin.find").withReadOnly(true), s -> store.find(s, id));
  }

  /**
   * Queues a failed or cancelled task again, to run now with its attempts counted from zero; its
   * last error stays for reference until it runs.
   *
   * @return whether the task was failed or cancelled (and is now queued)
   */
  public boolean retry(long id) {
    return db.fromTransaction(TransactionOptions.named("tasks.admin.retry"), s -> store.retry(s, id, clock.instant()));
  }

  /**
   * Cancels a queued task: it will not run. A running task cannot be cancelled.
   *
   * @return whether the task was queued (and is now cancelled)
   */
  public boolean cancel(long id) {
    return db.fromTransaction(TransactionOptions.named("tasks.admin.cancel"),
        s -> store.cancel(s, id, clock.instant()));
  }

  /**
   * Deletes finished tasks (succeeded, failed, cancelled) that finished more than {@code olderThan}
   * ago, {@code batchSize} rows per transaction so that no long transaction holds locks.
   *
   * @return the number of tasks deleted
   */
  public int prune(Duration olderThan, int batchSize) {
    if (olderThan.isNegative()) {
      throw new IllegalArgumentException("olderThan must not be negative, was " + olderThan);
    }
    if (batchSize < 1 || batchSize > 100_000) {
      throw new IllegalArgumentException("batchSize must be 1 to 100000, was " + batchSize);
    }
    Instant cutoff = clock.instant().minus(olderThan);
    TransactionOptions batch = TransactionOptions.named("tasks.admin.prune").withPool(PoolName.WORKER)
        .withPropagation(Propagation.REQUIRES_NEW);
    int total = 0;
    while (true) {
      int n = db.fromTransaction(batch, s -> store.prune(s, cutoff, batchSize));
      total += n;
      if (n < batchSize) {
        return total;
      }
    }
  }
}
