package io.mingus.comms;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;

/** A settable clock for tests. Thread-safe. */
final class MutableClock implements InstantSource {
  private final AtomicReference<Instant> now;

  MutableClock(Instant start) {
    now = new AtomicReference<>(start);
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  void set(Instant t) {
    now.set(t);
  }

  void advance(Duration d) {
    now.updateAndGet(t -> t.plus(d));
  }
}
