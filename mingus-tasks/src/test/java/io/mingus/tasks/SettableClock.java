package io.mingus.tasks;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;

/** A clock the test moves by hand. */
final class SettableClock implements InstantSource {
  private final AtomicReference<Instant> now;

  SettableClock(Instant start) {
    now = new AtomicReference<>(start);
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  void advance(Duration d) {
    now.updateAndGet(t -> t.plus(d));
  }

  void set(Instant t) {
    now.set(t);
  }
}
