package io.mingus.db;

import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * When and how often a failed transaction is run again: exponential backoff with full jitter
 * (the delay before retry {@code n} is uniform in {@code [0, min(maxDelay, baseDelay * 2^(n-1))]}),
 * at most {@code maxAttempts} runs in all, and no retry that would start after {@code deadline}
 * has passed since the first attempt. Only {@link ErrorKind#retryable() retryable} kinds are
 * retried.
 *
 * <p>Three retries from a one-second base are {@code RetryPolicy.of(4, Duration.ofSeconds(1))};
 * full jitter spreads the retries of many clients that failed together, which fixed delays do
 * not.
 *
 * @param maxAttempts runs in all, including the first; at least 1
 * @param baseDelay the upper bound of the first retry's delay; positive
 * @param maxDelay the cap of any one delay; at least {@code baseDelay}
 * @param deadline how long after the first attempt a retry may still start; positive
 */
public record RetryPolicy(int maxAttempts, Duration baseDelay, Duration maxDelay, Duration deadline) {

  /** Validates every field; a bad value is refused, never clamped. */
  public RetryPolicy {
    Objects.requireNonNull(baseDelay, "baseDelay");
    Objects.requireNonNull(maxDelay, "maxDelay");
    Objects.requireNonNull(deadline, "deadline");
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
    }
    if (baseDelay.isNegative() || baseDelay.isZero()) {
      throw new IllegalArgumentException("baseDelay must be positive, was " + baseDelay);
    }
    if (maxDelay.compareTo(baseDelay) < 0) {
      throw new IllegalArgumentException(
          "maxDelay (" + maxDelay + ") must be at least baseDelay (" + baseDelay + ")");
    }
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("deadline must be positive, was " + deadline);
    }
  }

  /** Three retries after the first attempt, 100 ms base, 5 s cap, 30 s deadline. */
  public static RetryPolicy defaults() {
    return new RetryPolicy(4, Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ofSeconds(30));
  }

  /** {@code maxAttempts} runs with this base delay, a cap of 64 times it and a 5-minute deadline. */
  public static RetryPolicy of(int maxAttempts, Duration baseDelay) {
    return new RetryPolicy(maxAttempts, baseDelay, baseDelay.multipliedBy(64), Duration.ofMinutes(5));
  }

  /** This policy with another attempt cap. */
  public RetryPolicy withMaxAttempts(int attempts) {
    return new RetryPolicy(attempts, baseDelay, maxDelay, deadline);
  }

  /** This policy with another deadline. */
  public RetryPolicy withDeadline(Duration newDeadline) {
    return new RetryPolicy(maxAttempts, baseDelay, maxDelay, newDeadline);
  }

  /**
   * The upper bound of the delay before retry number {@code retry} (1 for the first retry):
   * {@code min(maxDelay, baseDelay * 2^(retry-1))}.
   */
  public Duration ceiling(int retry) {
    if (retry < 1) {
      throw new IllegalArgumentException("retry must be at least 1, was " + retry);
    }
    int shift = Math.min(retry - 1, 30);
    long nanos = baseDelay.toNanos();
    long capped = nanos > (maxDelay.toNanos() >> shift) ? maxDelay.toNanos() : nanos << shift;
    return Duration.ofNanos(Math.min(capped, maxDelay.toNanos()));
  }

  /**
   * The delay before retry number {@code retry} with full jitter: {@code ceiling(retry) * u},
   * where {@code u} comes from {@code random} in {@code [0, 1)}.
   */
  public Duration delay(int retry, DoubleSupplier random) {
    return Duration.ofNanos((long) (ceiling(retry).toNanos() * random.getAsDouble()));
  }
}
