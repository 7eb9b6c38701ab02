package io.mingus.db.internal;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lends one pool's connections in the order the transactions asked for them. Hikari hands a
 * returned connection to whichever caller looks first, so one arriving just then takes it ahead
 * of those already waiting: under overload most callers wait little and a few wait very long
 * (plain Hikari with 64 threads over 20 connections on the 2-core benchmark machine: p50 7 ms,
 * p99 150-240 ms; docs/BENCHMARKS.md §14). A fair semaphore with one permit per connection in
 * front of Hikari makes the wait first come, first served, so the slowest callers wait about as
 * long as the others. Its size follows the pool's maximum size. Thread-safe.
 */
final class Gate {
  private final Permits permits;
  private volatile int size;
  /** The most turns taken at once since {@link #takeHighWater}. */
  private final AtomicInteger highWater = new AtomicInteger();

  Gate(int size) {
    this.size = size;
    this.permits = new Permits(size);
  }

  /** Waits for a turn, at most {@code timeoutNanos}; whether one came. */
  boolean enter(long timeoutNanos) throws InterruptedException {
    // the timed form honours fairness (the untimed tryAcquire() would barge)
    if (!permits.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS)) {
      return false;
    }
    int taken = taken();
    for (int high = highWater.get(); taken > high && !highWater.compareAndSet(high, taken); high = highWater.get()) {
      // another turn raised it meanwhile: compare again
    }
    return true;
  }

  /**
   * A turn now if one is free and nobody waits, not counted in the high-water mark: for the pool's
   * own upkeep ({@link IdleCap}), which must not take a connection from under a caller.
   */
  boolean tryEnterForUpkeep() throws InterruptedException {
    return permits.tryAcquire(0, TimeUnit.NANOSECONDS);
  }

  /**
   * The most turns taken at once since the last call (at least those taken now), and starts a new
   * count from those taken now: how many connections the pool needed over that time.
   */
  int takeHighWater() {
    return Math.max(highWater.getAndSet(taken()), taken());
  }

  /** Turns taken now. */
  int taken() {
    return Math.max(0, size - permits.availablePermits());
  }

  /** Ends a turn taken by {@link #enter}. */
  void leave() {
    permits.release();
  }

  /** Turns free now: the pool's maximum size less the turns taken (less, for a while, after a shrink). */
  int available() {
    return permits.availablePermits();
  }

  /** Callers waiting for a turn. */
  int waiting() {
    return permits.getQueueLength();
  }

  /** Follows the pool's new maximum size; turns taken now end as usual. */
  synchronized void resize(int newSize) {
    if (newSize > size) {
      permits.release(newSize - size);
    } else if (newSize < size) {
      permits.reduce(size - newSize);
    }
    size = newSize;
  }

  private static final class Permits extends Semaphore {
    private static final long serialVersionUID = 1L;

    Permits(int n) {
      super(n, true);
    }

    void reduce(int n) {
      reducePermits(n);
    }
  }
}
