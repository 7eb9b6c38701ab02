package io.mingus.tasks.internal;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One claimed attempt in this worker, from claim until its outcome is written. The task's thread
 * and the timeout watchdog race for its phase with compare-and-set, so a timeout interrupts only a
 * task that is still in {@code Task.run}; shutdown marks it stopping (its attempt is given back,
 * not failed) or abandoned (given back without it). Thread-safe.
 *
 * <p>A {@link io.mingus.tasks.PhasedTask}'s attempt also carries what its phases handed on: the
 * payload read at claim, whether {@code prepare} ran (with the claim, or not yet) and what it
 * returned, and the outcome of {@code call}. These are set by one thread and read by the next one
 * through the lane's or the completer's queue, which orders them.
 */
public final class Execution {
  private static final int RUNNING = 0;
  private static final int DONE = 1;
  private static final int TIMED_OUT = 2;

  private final TaskStore.Claimed claimed;
  private final AtomicInteger phase = new AtomicInteger(RUNNING);
  /** The slot's thread while the attempt runs; guarded by {@code this}. */
  private Thread thread;
  private volatile ScheduledFuture<?> timeout;
  private volatile boolean stopping;
  private volatile boolean abandoned;
  private volatile Object payload;
  private volatile Preparation preparation = Preparation.NOT_YET;
  private volatile Object prepared;
  private volatile Object outcome;

  /** Where a phased task's {@code prepare} stands for this attempt. */
  enum Preparation {
    /** Not run yet: the slot runs it in a transaction of its own. */
    NOT_YET,
    /** Ran and committed (with the claim): {@link #prepared()} holds what it returned. */
    PREPARED,
    /** Ran, returned {@code null}, and the task was marked succeeded in the same transaction. */
    DONE
  }

  /** An attempt of the task just claimed. */
  public Execution(TaskStore.Claimed claimed) {
    this.claimed = claimed;
  }

  /** The claimed row. */
  public TaskStore.Claimed claimed() {
    return claimed;
  }

  /** The payload, once read (phased tasks, at claim); null before. */
  Object payload() {
    return payload;
  }

  void payload(Object p) {
    payload = p;
  }

  Preparation preparation() {
    return preparation;
  }

  Object prepared() {
    return prepared;
  }

  /** Records what {@code prepare} returned: a reservation, or null (the task is done). */
  void prepared(Object value) {
    prepared = value;
    preparation = value == null ? Preparation.DONE : Preparation.PREPARED;
  }

  Object outcome() {
    return outcome;
  }

  void outcome(Object o) {
    outcome = o;
  }

  /** Called by the slot's thread before the task runs: interrupts meant for the attempt reach it. */
  synchronized void attach(Thread t) {
    thread = t;
  }

  /** Called by the slot's thread once the attempt is over: no interrupt meant for it can land later. */
  void detach() {
    synchronized (this) {
      thread = null;
    }
    Thread.interrupted();
  }

  /** Sets the watchdog that calls {@link #expire()} when the attempt's timeout passes. */
  void armTimeout(ScheduledFuture<?> watchdog) {
    timeout = watchdog;
  }

  void cancelTimeout() {
    ScheduledFuture<?> f = timeout;
    if (f != null) {
      f.cancel(false);
    }
  }

  /** Called by the task's thread when {@code Task.run} returned; false when the timeout came first. */
  boolean finishRun() {
    return phase.compareAndSet(RUNNING, DONE) || phase.get() == DONE;
  }

  /** Called by the watchdog: interrupts the task if it is still running. */
  synchronized void expire() {
    if (phase.compareAndSet(RUNNING, TIMED_OUT) && thread != null) {
      thread.interrupt();
    }
  }

  boolean timedOut() {
    return phase.get() == TIMED_OUT;
  }

  /** Shutdown: interrupts a task still in {@code Task.run}; its attempt is given back. */
  public void stop() {
    stopping = true;
    synchronized (this) {
      if (phase.get() == RUNNING && thread != null) {
        thread.interrupt();
      }
    }
  }

  boolean stopping() {
    return stopping;
  }

  /** Shutdown gives the attempt back without it: whatever the task does next must not commit or be recorded. */
  public void abandon() {
    abandoned = true;
  }

  boolean abandoned() {
    return abandoned;
  }

  /** The worker halts: interrupts the attempt's thread, whatever it is doing. */
  synchronized void interrupt() {
    if (thread != null) {
      thread.interrupt();
    }
  }
}
