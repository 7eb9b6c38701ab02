package io.mingus.tasks;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One queue of a worker: a fetcher loop on a virtual thread that waits for free slots, claims that
 * many due tasks in one short transaction and starts one virtual thread per task. When the queue
 * had fewer due tasks than free slots it waits for a wake-up (a NOTIFY, an enqueue in this
 * process) or the poll interval.
 */
final class Lane implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(Lane.class);
  private static final long SLOT_WAIT_MILLIS = 100;
  private static final long GATHER_NANOS = 2_000_000;

  final String queue;
  final int concurrency;
  private final Worker worker;
  private final Semaphore slots;
  private final Semaphore wake = new Semaphore(0);
  private volatile boolean failing;
  private boolean busy;
  /** Claims not even tried because the worker pool's circuit breaker was open. */
  final java.util.concurrent.atomic.AtomicLong skippedWhileOpen = new java.util.concurrent.atomic.AtomicLong();

  Lane(Worker worker, String queue, int concurrency) {
    this.worker = worker;
    this.queue = queue;
    this.concurrency = concurrency;
    this.slots = new Semaphore(concurrency);
  }

  /** Ends a wait for work at once. */
  void wake() {
    if (wake.availablePermits() == 0) {
      wake.release();
    }
  }

  /** Frees the slot of a task that ended. */
  void release() {
    slots.release();
  }

  /**
   * While the queue is busy (the last claim filled every free slot), waits up to 2 ms for half the
   * slots to free up, so that one claim serves several tasks instead of one claim per finished task.
   */
  private void gatherSlots() {
    long deadline = System.nanoTime() + GATHER_NANOS;
    int want = concurrency / 2;
    while (slots.availablePermits() < want - 1 && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(200_000);
    }
  }

  @Override
  public void run() {
    try {
      while (worker.claiming()) {
        if (!slots.tryAcquire(SLOT_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
          continue;
        }
        if (busy) {
          gatherSlots();
        }
        int free = 1 + slots.drainPermits();
        int started = 0;
        Duration wait = worker.pollInterval();
        try {
          if (worker.breakerOpen()) {
            skippedWhileOpen.incrementAndGet();
          } else if (worker.claiming()) {
            List<TaskStore.Claimed> claimed = worker.claim(this, free);
            started = claimed.size();
            busy = started == free && concurrency > 1;
            failing = false;
          }
          wait = worker.nextWait(wait);
        } catch (RuntimeException e) {
          if (!failing) {
            LOG.warn("worker {} could not claim tasks of queue '{}'; retrying every {} ms: {}", worker.id(), queue,
                wait.toMillis(), e.toString());
          }
          failing = true;
        } finally {
          slots.release(free - started);
        }
        if (started < free) {
          wake.tryAcquire(Math.max(1, wait.toMillis()), TimeUnit.MILLISECONDS);
          wake.drainPermits();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
