package io.mingus.tasks.internal;

import org.slf4j.Logger;

/**
 * Logs a repeating piece of work that fails: a warning when it starts failing, nothing while it
 * goes on failing (debug), one line when it works again. Thread-safe.
 */
final class FailureLog {
  private final Logger log;
  private final String what;
  private int failures;

  /** For the work {@code what} ("worker w1: heartbeat"), on {@code log}. */
  FailureLog(Logger log, String what) {
    this.log = log;
    this.what = what;
  }

  /** The work failed; {@code next} says what happens now ("trying again in 1000 ms"). */
  synchronized void failed(Throwable e, String next) {
    if (failures++ == 0) {
      log.warn("{} failed; {} until it works: {}", what, next, e.toString());
    } else {
      log.debug("{} failed again ({} times); {}: {}", what, failures, next, e.toString());
    }
  }

  /** The work succeeded. */
  synchronized void succeeded() {
    if (failures > 0) {
      log.info("{} works again after {} failures", what, failures);
      failures = 0;
    }
  }
}
