package io.mingus.tasks.internal;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The attempts this worker holds, from claim until their outcome is written (or given up): what
 * the heartbeater refreshes and what shutdown waits for. Thread-safe.
 */
public final class InFlight {
  private final Map<Long, Execution> byId = new ConcurrentHashMap<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition drained = lock.newCondition();

  /** Holds a just-claimed attempt. */
  public void add(Execution x) {
    byId.put(x.claimed().id(), x);
  }

  /** Forgets an attempt whose outcome is written (or abandoned). */
  public void finished(Execution x) {
    if (byId.remove(x.claimed().id(), x)) {
      lock.lock();
      try {
        drained.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  public boolean isEmpty() {
    return byId.isEmpty();
  }

  /** The ids of the tasks held now. */
  public List<Long> ids() {
    return List.copyOf(byId.keySet());
  }

  /** The attempts held now. */
  public List<Execution> executions() {
    return List.copyOf(byId.values());
  }

  /** Waits until no attempt is held, at most {@code max}; returns whether none is. */
  public boolean awaitEmpty(Duration max) {
    long nanos = max.toNanos();
    lock.lock();
    try {
      while (!byId.isEmpty()) {
        if (nanos <= 0) {
          return false;
        }
        nanos = drained.awaitNanos(nanos);
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return byId.isEmpty();
    } finally {
      lock.unlock();
    }
  }
}
