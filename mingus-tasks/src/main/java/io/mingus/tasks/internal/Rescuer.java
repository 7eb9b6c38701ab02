package io.mingus.tasks.internal;

import io.mingus.tasks.FailureKind;
import io.mingus.tasks.Task;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts back the running tasks of dead workers, found two ways. By lease ({@link #rescue()}, every
 * engine): a task whose heartbeat is older than {@code rescueAfter}. By session ({@link
 * #rescueOrphans()}, PostgreSQL): every running task of a worker whose registered session lock no
 * session holds any more (see {@link WorkerSession}), once it has stayed free for {@link
 * #SESSION_GRACE} (a live worker whose LISTEN connection broke reconnects and registers a new lock
 * well within it). A rescued task is queued again (attempts left) or failed (none left, and then
 * its {@link Task#onFailure} hook runs in the rescuer's transaction, if this worker has the task
 * registered); the queues that got tasks back are woken here and, on PostgreSQL, notified. The old
 * attempt's outcome is refused by the fence (attempt and lease owner). Every worker runs one;
 * {@code SKIP LOCKED} keeps two rescuers off the same rows. Thread-safe.
 */
public final class Rescuer {
  private static final Logger LOG = LoggerFactory.getLogger(Rescuer.class);
  /** Stale tasks handled per transaction. */
  static final int BATCH = 100;
  /** The longest wait between two rounds by lease. */
  static final Duration MAX_PERIOD = Duration.ofSeconds(15);
  /** How often registered sessions are checked. */
  public static final Duration SESSION_PERIOD = Duration.ofMillis(500);
  /** How long a worker's session lock must stay free before its tasks are put back. */
  public static final Duration SESSION_GRACE = Duration.ofMillis(1500);

  /** Why a task was put back: the label of {@code mingus.tasks.rescues}' {@code cause}. */
  public enum Cause {
    /** Its heartbeat is older than {@code rescueAfter}. */
    LEASE_EXPIRED,
    /** Its worker's database session ended. */
    SESSION_GONE;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

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
  private final LongSupplier nanoTime;
  /** Registered sessions seen free, and since when (nano time). */
  private final Map<TaskStore.SessionKey, Long> freeSince = new ConcurrentHashMap<>();

  public Rescuer(Context ctx) {
    this(ctx, System::nanoTime);
  }

  Rescuer(Context ctx, LongSupplier nanoTime) {
    this.ctx = ctx;
    this.wdb = ctx.wdb();
    this.nanoTime = nanoTime;
  }

  /** How often to look for stale tasks: a quarter of {@code rescueAfter}, at most {@link #MAX_PERIOD}. */
  public static Duration period(Duration rescueAfter) {
    Duration quarter = rescueAfter.dividedBy(4);
    return quarter.compareTo(MAX_PERIOD) > 0 ? MAX_PERIOD : quarter;
  }

  /** One round by lease: rescues every stale task, {@value #BATCH} per transaction. */
  public void rescue() {
    Instant now = wdb.clock().instant();
    Instant cutoff = now.minus(ctx.rescueAfter());
    String why = "its worker stopped heartbeating before " + cutoff + "; rescued by worker " + wdb.workerId();
    while (putBack(Cause.LEASE_EXPIRED, why, s -> wdb.store().stale(s, cutoff, BATCH)) == BATCH) {
      // a full batch: there may be more
    }
  }

  /**
   * One round by session: rescues the running tasks of every worker whose session lock has been
   * free for {@link #SESSION_GRACE}, and forgets those workers once they hold none.
   */
  public void rescueOrphans() {
    if (!wdb.store().tracksSessions()) {
      return;
    }
    List<TaskStore.SessionKey> gone = wdb.db().fromTransaction(WorkerDb.control("sessions"),
        s -> wdb.store().goneSessions(s, wdb.workerId()));
    long now = nanoTime.getAsLong();
    freeSince.keySet().retainAll(new HashSet<>(gone));
    Set<TaskStore.SessionKey> due = new HashSet<>();
    for (TaskStore.SessionKey k : gone) {
      long since = freeSince.computeIfAbsent(k, x -> now);
      if (now - since >= SESSION_GRACE.toNanos()) {
        due.add(k);
      }
    }
    for (TaskStore.SessionKey k : due) {
      String why = "the database session of its worker " + k.workerId() + " ended; rescued by worker "
          + wdb.workerId();
      while (putBack(Cause.SESSION_GONE, why, s -> wdb.store().orphaned(s, k, BATCH)) == BATCH) {
        // a full batch: there may be more
      }
      if (wdb.db().fromTransaction(WorkerDb.control("sessions"), s -> wdb.store().forgetSession(s, k))) {
        freeSince.remove(k);
        LOG.info("worker {}: worker {} is gone (its database session ended); forgot it", wdb.workerId(),
            k.workerId());
      }
    }
  }

  @FunctionalInterface
  private interface Finder {
    List<TaskStore.Stale> find(io.mingus.db.Session s);
  }

  /** Puts back the tasks {@code finder} locks, in one transaction; returns how many it found. */
  private int putBack(Cause cause, String why, Finder finder) {
    Map<String, Integer> byQueue = new LinkedHashMap<>();
    Instant now = wdb.clock().instant();
    int seen = wdb.db().fromTransaction(WorkerDb.control("rescue"), s -> {
      byQueue.clear();
      List<TaskStore.Stale> found = finder.find(s);
      for (TaskStore.Stale t : found) {
        boolean left = t.attempt() < t.maxAttempts();
        if (wdb.store().rescue(s, t.id(), left, why, now) == 1) {
          byQueue.merge(t.queue(), 1, Integer::sum);
          rescued(t, left, cause, why);
        }
      }
      if (!byQueue.isEmpty() && wdb.store().notifies()) {
        wdb.store().notifyQueues(s, byQueue.keySet());
      }
      return found.size();
    });
    byQueue.forEach((q, n) -> {
      ctx.meters().rescued(q, cause.label(), n);
      ctx.wake().accept(q);
    });
    return seen;
  }

  private void rescued(TaskStore.Stale t, boolean left, Cause cause, String why) {
    LOG.warn("worker {} rescued task {} '{}' of queue '{}' (attempt {} of {}, {}): {}; {}", wdb.workerId(), t.id(),
        t.name(), t.queue(), t.attempt(), t.maxAttempts(), cause.label(), why, left ? "queued again" : "failed");
    Task<?> task = ctx.tasks().get(t.name());
    if (!left && task != null) {
      ctx.hooks().tell(task, t.id(), t.payload(), FailureKind.RESCUED, why + ", with no attempts left");
    } else if (!left) {
      LOG.warn("worker {} failed task {} '{}' without telling it (its onFailure hook): this worker does not run that"
          + " task; register it here too", wdb.workerId(), t.id(), t.name());
    }
  }
}
