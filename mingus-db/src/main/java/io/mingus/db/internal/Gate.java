package io.mingus.db.internal;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

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
  private int size;

  Gate(int size) {
    this.size = size;
    this.permits = new Permits(size);
  }

  /** Waits for a turn, at most {@code timeoutNanos}; whether one came. */
  boolean enter(long timeoutNanos) throws InterruptedException {
    // the timed form honours fairness (the untimed tryAcquire() would barge)
    return permits.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS);
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
