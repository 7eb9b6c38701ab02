package io.mingus.tasks.internal;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Where a worker is in its life: new, running, stopping, stopped; and whether it halted (stopped
 * as a crashed process would, writing nothing more). The services read it; only the worker's
 * runtime changes it. Thread-safe.
 */
public final class Lifecycle {
  /** The states, in order. */
  public enum State { NEW, RUNNING, STOPPING, STOPPED }

  private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
  private volatile boolean halted;

  public State state() {
    return state.get();
  }

  /** Whether claiming goes on: running and not halted. */
  public boolean claiming() {
    return state.get() == State.RUNNING && !halted;
  }

  /** Whether the worker halted: nothing may be written for it any more. */
  public boolean halted() {
    return halted;
  }

  boolean move(State from, State to) {
    return state.compareAndSet(from, to);
  }

  void stopped() {
    state.set(State.STOPPED);
  }

  void halt() {
    halted = true;
    state.set(State.STOPPED);
  }
}
