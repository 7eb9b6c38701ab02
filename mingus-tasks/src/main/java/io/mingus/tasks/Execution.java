package io.mingus.tasks;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One claimed attempt in this worker, from claim until its outcome is written. The task's thread
 * and the timeout watchdog race for its phase with compare-and-set, so a timeout interrupts only
 * a task that is still in {@link Task#run}.
 */
final class Execution {
  private static final int RUNNING = 0;
  private static final int DONE = 1;
  private static final int TIMED_OUT = 2;

  final TaskStore.Claimed claimed;
  final Lane lane;
  private final AtomicInteger phase = new AtomicInteger(RUNNING);
  volatile Thread thread;
  volatile ScheduledFuture<?> timeout;
  /** Set when shutdown interrupts the task: its attempt is given back, not failed. */
  volatile boolean stopping;
  /** When the lane put it in its ready buffer ({@link System#nanoTime()}); only the lane reads it. */
  long readySince;
  /** Set when shutdown gave the task back on its own because it did not end in time. */
  volatile boolean abandoned;

  Execution(TaskStore.Claimed claimed, Lane lane) {
    this.claimed = claimed;
    this.lane = lane;
  }

  /** Called by the task's thread when {@link Task#run} returned; false when the timeout came first. */
  boolean finishRun() {
    return phase.compareAndSet(RUNNING, DONE) || phase.get() == DONE;
  }

  /** Called by the watchdog: interrupts the task if it is still running. */
  void expire() {
    synchronized (this) {
      Thread t = thread;
      if (phase.compareAndSet(RUNNING, TIMED_OUT) && t != null) {
        t.interrupt();
      }
    }
  }

  /** Called by the slot's thread once the attempt is over: no interrupt meant for it can land later. */
  void detach() {
    synchronized (this) {
      thread = null;
    }
    Thread.interrupted();
  }

  boolean timedOut() {
    return phase.get() == TIMED_OUT;
  }

  /** Shutdown: interrupts a task still in {@link Task#run}; its attempt is given back. */
  void stop() {
    stopping = true;
    synchronized (this) {
      Thread t = thread;
      if (phase.get() == RUNNING && t != null) {
        t.interrupt();
      }
    }
  }

  void cancelTimeout() {
    ScheduledFuture<?> f = timeout;
    if (f != null) {
      f.cancel(false);
    }
  }
}
