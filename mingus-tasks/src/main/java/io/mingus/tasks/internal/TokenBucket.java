package io.mingus.tasks.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/**
 * A token bucket on an injected clock: {@code perSecond} tokens a second, holding at most {@code
 * max(1, perSecond)} (one second's burst). Thread-safe.
 */
final class TokenBucket {
  private final double perSecond;
  private final double capacity;
  private final InstantSource clock;
  private double tokens;
  private Instant last;

  TokenBucket(double perSecond, InstantSource clock) {
    if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
      throw new IllegalArgumentException("a rate limit must be a positive number of tasks per second, was "
          + perSecond);
    }
    this.perSecond = perSecond;
    this.capacity = Math.max(1, perSecond);
    this.clock = clock;
    this.tokens = capacity;
    this.last = clock.instant();
  }

  /** Takes a token if one is there. */
  synchronized boolean tryTake() {
    refill();
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }

  /** Whether a token is there now (without taking it). */
  synchronized boolean available() {
    refill();
    return tokens >= 1;
  }

  /** How long until the next token, by the clock; zero when one is there. */
  synchronized Duration untilNext() {
    refill();
    return tokens >= 1 ? Duration.ZERO : Duration.ofNanos((long) Math.ceil((1 - tokens) / perSecond * 1e9));
  }

  private void refill() {
    Instant now = clock.instant();
    if (now.isAfter(last)) {
      tokens = Math.min(capacity, tokens + Duration.between(last, now).toNanos() / 1e9 * perSecond);
      last = now;
    }
  }
}
