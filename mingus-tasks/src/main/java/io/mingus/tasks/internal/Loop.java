package io.mingus.tasks.internal;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A background loop on a virtual thread of its own: runs a {@link Step}, waits as long as the step
 * asks (or until {@link #wake() woken}), runs it again, until {@link #stop() stopped}. A failing
 * step is logged by a {@link FailureLog} (once when it starts failing, once when it works again);
 * after a failure the loop waits its backoff, from {@code firstBackoff} doubling up to {@code
 * maxBackoff} (the two equal for a fixed retry period), reset by the next success. An interrupt
 * ends the loop. Thread-safe.
 */
public final class Loop {
  private static final Logger LOG = LoggerFactory.getLogger(Loop.class);

  /** One turn of a loop. */
  @FunctionalInterface
  public interface Step {
    /** Does one turn of work; returns how long to wait before the next one (zero: at once). */
    Duration run() throws Exception;
  }

  private final String threadName;
  private final Step step;
  private final Duration firstBackoff;
  private final Duration maxBackoff;
  private final Runnable onExit;
  private final FailureLog failures;
  private final Semaphore wake = new Semaphore(0);
  private volatile boolean stopped;
  private volatile Thread thread;

  /**
   * A loop named {@code threadName}, its failures logged as {@code what} ("worker w1: heartbeat"),
   * running {@code onExit} (may be null) on its thread when it ends.
   */
  public Loop(String threadName, String what, Step step, Duration firstBackoff, Duration maxBackoff, Runnable onExit) {
    this.threadName = threadName;
    this.step = step;
    this.firstBackoff = firstBackoff;
    this.maxBackoff = maxBackoff;
    this.onExit = onExit;
    this.failures = new FailureLog(LOG, what);
  }

  /** A loop that runs {@code work} every {@code period}, and again {@code period} after a failure. */
  public static Loop every(String threadName, String what, Duration period, Runnable work) {
    return new Loop(threadName, what, () -> {
      work.run();
      return period;
    }, period, period, null);
  }

  /** Starts the loop's thread. */
  public Thread start() {
    Thread t = Thread.ofVirtual().name(threadName).unstarted(this::run);
    thread = t;
    t.start();
    return t;
  }

  /** Ends the current wait at once. */
  public void wake() {
    if (wake.availablePermits() == 0) {
      wake.release();
    }
  }

  /** Ends the loop after its current step (a wait ends at once). */
  public void stop() {
    stopped = true;
    wake.release();
  }

  /** Waits at most {@code max} for the loop's thread to end; true when it ended (or never started). */
  public boolean join(Duration max) throws InterruptedException {
    Thread t = thread;
    return t == null || t.join(max);
  }

  private void run() {
    try {
      Duration backoff = firstBackoff;
      while (!stopped) {
        Duration wait;
        try {
          wait = step.run();
          failures.succeeded();
          backoff = firstBackoff;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        } catch (Exception | Error e) {
          if (stopped) {
            return;
          }
          failures.failed(e, "trying again in " + backoff.toMillis() + " ms");
          wait = backoff;
          backoff = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
        }
        if (!wait.isZero() && !pause(wait)) {
          return;
        }
      }
    } finally {
      if (onExit != null) {
        onExit.run();
      }
    }
  }

  private boolean pause(Duration d) {
    try {
      wake.tryAcquire(Math.max(1, d.toMillis()), TimeUnit.MILLISECONDS);
      wake.drainPermits();
      return !stopped;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
