package io.mingus.tasks.internal;

import io.mingus.tasks.FailureKind;
import io.mingus.tasks.Task;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts back running tasks whose worker stopped heartbeating: a task whose heartbeat is older than
 * {@code rescueAfter} is queued again (attempts left) or failed (none left, and then its {@link
 * Task#onFailure} hook runs in the rescuer's transaction, if this worker has the task registered).
 * Every worker runs one; {@code SKIP LOCKED} keeps two rescuers off the same rows. Thread-safe.
 */
public final class Rescuer {
  private static final Logger LOG = LoggerFactory.getLogger(Rescuer.class);
  /** Stale tasks handled per transaction. */
  static final int BATCH = 100;
  /** The longest wait between two rounds. */
  static final Duration MAX_PERIOD = Duration.ofSeconds(15);

  /**
   * What the rescuer needs.
   *
   * @param wdb the database, store, this worker's id (named in the rescued tasks) and clock
   * @param rescueAfter how old a heartbeat must be for its task to be rescued
   * @param tasks the tasks this worker has registered, by name (their hooks are told)
   * @param hooks tells tasks that failed for good
   * @param meters counts the rescues
   * @param wake wakes this worker's lane for a queue that got tasks back
   */
  public record Context(WorkerDb wdb, Duration rescueAfter, Map<String, Task<?>> tasks, FailureHooks hooks,
      TaskMeters meters, Consumer<String> wake) {}

  private final Context ctx;
  private final WorkerDb wdb;

  public Rescuer(Context ctx) {
    this.ctx = ctx;
    this.wdb = ctx.wdb();
  }

  /** How often to look for stale tasks: a quarter of {@code rescueAfter}, at most {@link #MAX_PERIOD}. */
  public static Duration period(Duration rescueAfter) {
    Duration quarter = rescueAfter.dividedBy(4);
    return quarter.compareTo(MAX_PERIOD) > 0 ? MAX_PERIOD : quarter;
  }

  /** One round: rescues every stale task, {@value #BATCH} per transaction. */
  public void rescue() {
    Instant now = wdb.clock().instant();
    Instant cutoff = now.minus(ctx.rescueAfter());
    while (true) {
      Map<String, Integer> byQueue = new LinkedHashMap<>();
      int seen = wdb.db().fromTransaction(WorkerDb.control("rescue"), s -> {
        List<TaskStore.Stale> stale = wdb.store().stale(s, cutoff, BATCH);
        for (TaskStore.Stale t : stale) {
          boolean left = t.attempt() < t.maxAttempts();
          if (wdb.store().rescue(s, t.id(), left, wdb.workerId(), now, cutoff) == 1) {
            byQueue.merge(t.queue(), 1, Integer::sum);
            rescued(t, left, cutoff);
          }
        }
        return stale.size();
      });
      byQueue.forEach((q, n) -> {
        ctx.meters().rescued(q, n);
        ctx.wake().accept(q);
      });
      if (seen < BATCH) {
        return;
      }
    }
  }

  private void rescued(TaskStore.Stale t, boolean left, Instant cutoff) {
    LOG.warn("worker {} rescued task {} '{}' of queue '{}' (attempt {} of {}): its worker stopped heartbeating before"
        + " {}; {}", wdb.workerId(), t.id(), t.name(), t.queue(), t.attempt(), t.maxAttempts(), cutoff,
        left ? "queued again" : "failed");
    Task<?> task = ctx.tasks().get(t.name());
    if (!left && task != null) {
      ctx.hooks().tell(task, t.id(), t.payload(), FailureKind.RESCUED, "its worker stopped heartbeating before "
          + cutoff + ", with no attempts left");
    } else if (!left) {
      LOG.warn("worker {} failed task {} '{}' without telling it (its onFailure hook): this worker does not run that"
          + " task; register it here too", wdb.workerId(), t.id(), t.name());
    }
  }
}
