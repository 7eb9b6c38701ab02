package io.mingus.tasks.internal;

import io.mingus.db.Database;
import io.mingus.db.Propagation;
import io.mingus.db.TransactionOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells listening workers (PostgreSQL NOTIFY) that queues got tasks, after the enqueuing
 * transactions committed, coalesced: one sender per process, one statement for every queue asked
 * for since its last one, so a burst of enqueues costs a handful of notifications.
 *
 * <p>Why not {@code pg_notify} inside the enqueuing transaction: at the commit of a transaction
 * that notified, PostgreSQL takes a cluster-wide lock (async.c, {@code PreCommit_Notify}) held
 * until the commit is flushed, so every enqueuing transaction of every process would commit one at
 * a time. A notification lost here (the process dies right after a commit, the database is
 * unreachable) only means the workers find the task at their next poll. Under load notifications
 * go out at most every {@link #MIN_GAP_NANOS}, each for every queue asked for meanwhile.
 * Thread-safe.
 */
public final class Notifier {
  private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);
  /** An idle sender thread ends after this; the next request starts a new one. */
  private static final long IDLE_MILLIS = 30_000;
  /**
   * The least time between two notifications. Without it the sender ran one notifying transaction
   * (a pool connection, two round trips, a commit) for every second enqueue under load: 1.55
   * transactions per enqueue at 8 enqueuing threads. A listening worker busy with a burst claims
   * ahead anyway; an idle one hears of a burst's first task at once.
   */
  static final long MIN_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  /** One statement, which commits by itself: one round trip. */
  private static final TransactionOptions NOTIFY = TransactionOptions.named("tasks.notify")
      .withPropagation(Propagation.REQUIRES_NEW).withSingleStatement(true);

  private final Database db;
  private final TaskStore store;
  private final FailureLog failures;
  private final Set<String> pending = ConcurrentHashMap.newKeySet();
  private final Semaphore signal = new Semaphore(0);
  private boolean senderRunning;
  /** When the sender last sent (its own thread only). */
  private long lastSent = System.nanoTime() - MIN_GAP_NANOS;

  /** Notifies through {@code store} (which must {@link TaskStore#notifies() notify}) on {@code db}. */
  public Notifier(Database db, TaskStore store) {
    this.db = db;
    this.store = store;
    this.failures = new FailureLog(LOG, "notifying workers of new tasks on channel " + store.channel());
  }

  /** Asks for a notification for {@code queue}; returns at once. */
  public void request(String queue) {
    if (!pending.add(queue)) {
      // already asked for and not yet sent: the sender takes it with the others, no need to wake it
      return;
    }
    signal.release();
    synchronized (this) {
      if (!senderRunning) {
        senderRunning = true;
        // A platform thread: its socket reads block in the kernel, where a virtual thread's go through
        // the poller and a carrier hand-off, three thread switches more per round trip.
        Thread.ofPlatform().daemon().name("mingus-task-notify-" + store.channel()).start(this::send);
      }
    }
  }

  private void send() {
    try {
      while (true) {
        if (!signal.tryAcquire(IDLE_MILLIS, TimeUnit.MILLISECONDS)) {
          synchronized (this) {
            if (pending.isEmpty()) {
              senderRunning = false;
              return;
            }
          }
        }
        // At most one notification per MIN_GAP: the first request after a quiet spell is sent at
        // once, those of a burst wait for the gap and go out together.
        long wait = lastSent + MIN_GAP_NANOS - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(Duration.ofNanos(wait));
        }
        signal.drainPermits();
        List<String> queues = new ArrayList<>(pending);
        pending.removeAll(queues);
        if (!queues.isEmpty()) {
          lastSent = System.nanoTime();
          notifyNow(queues);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      synchronized (this) {
        senderRunning = false;
      }
    }
  }

  private void notifyNow(List<String> queues) {
    try {
      db.inTransaction(NOTIFY, s -> store.notifyQueues(s, queues));
      failures.succeeded();
    } catch (RuntimeException e) {
      failures.failed(e, "workers find new tasks of queues " + queues + " at their next poll");
    }
  }
}
