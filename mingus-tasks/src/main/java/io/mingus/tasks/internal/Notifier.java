package io.mingus.tasks.internal;

import io.mingus.db.Database;
import io.mingus.db.Propagation;
import io.mingus.db.TransactionOptions;
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
 * unreachable) only means the workers find the task at their next poll. Thread-safe.
 */
public final class Notifier {
  private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);
  /** An idle sender thread ends after this; the next request starts a new one. */
  private static final long IDLE_MILLIS = 30_000;

  private final Database db;
  private final TaskStore store;
  private final FailureLog failures;
  private final Set<String> pending = ConcurrentHashMap.newKeySet();
  private final Semaphore signal = new Semaphore(0);
  private boolean senderRunning;

  /** Notifies through {@code store} (which must {@link TaskStore#notifies() notify}) on {@code db}. */
  public Notifier(Database db, TaskStore store) {
    this.db = db;
    this.store = store;
    this.failures = new FailureLog(LOG, "notifying workers of new tasks on channel " + store.channel());
  }

  /** Asks for a notification for {@code queue}; returns at once. */
  public void request(String queue) {
    pending.add(queue);
    signal.release();
    synchronized (this) {
      if (!senderRunning) {
        senderRunning = true;
        Thread.ofVirtual().name("mingus-task-notify-" + store.channel()).start(this::send);
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
        signal.drainPermits();
        List<String> queues = new ArrayList<>(pending);
        pending.removeAll(queues);
        if (!queues.isEmpty()) {
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
      db.inTransaction(TransactionOptions.named("tasks.notify").withPropagation(Propagation.REQUIRES_NEW),
          s -> store.notifyQueues(s, queues));
      failures.succeeded();
    } catch (RuntimeException e) {
      failures.failed(e, "workers find new tasks of queues " + queues + " at their next poll");
    }
  }
}
