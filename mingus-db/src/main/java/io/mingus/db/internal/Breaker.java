package io.mingus.db.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.mingus.db.DatabaseConfig;
import io.mingus.db.DatabaseErrors;
import io.mingus.db.DatabaseUnavailableException;
import io.mingus.db.ErrorKind;
import io.mingus.db.PoolName;
import java.util.concurrent.TimeUnit;

/**
 * The circuit breaker of one pool: a Resilience4j breaker that opens after {@code
 * DB_CIRCUIT_FAILURE_THRESHOLD} connection failures in a row and refuses transactions at once
 * while open. Thread-safe.
 */
final class Breaker {
  private final PoolName pool;
  private final CircuitBreaker breaker;

  Breaker(PoolName pool, DatabaseConfig config) {
    this.pool = pool;
    CircuitBreakerConfig c = CircuitBreakerConfig.custom()
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(config.breakerFailures())
        .minimumNumberOfCalls(config.breakerFailures())
        .failureRateThreshold(100)
        .waitDurationInOpenState(config.breakerRecovery())
        .permittedNumberOfCallsInHalfOpenState(1)
        .recordException(Breaker::isConnectionFailure)
        .build();
    this.breaker = CircuitBreaker.of("mingus-" + pool.label(), c);
  }

  /** Only failures to reach the database count against a breaker; bad SQL or data do not. */
  static boolean isConnectionFailure(Throwable t) {
    ErrorKind kind = DatabaseErrors.classify(t).kind();
    return kind == ErrorKind.CONNECTION || kind == ErrorKind.COMMIT_UNKNOWN;
  }

  /** The Resilience4j breaker itself. */
  CircuitBreaker circuitBreaker() {
    return breaker;
  }

  /**
   * Lets transaction {@code txName} go on, or refuses it at once.
   *
   * @throws DatabaseUnavailableException when the breaker is open
   */
  void permit(String txName) {
    if (!breaker.tryAcquirePermission()) {
      throw new DatabaseUnavailableException(pool, "pool '" + pool.label()
          + "' refused transaction '" + txName + "' at once: its circuit breaker is open after "
          + breaker.getCircuitBreakerConfig().getMinimumNumberOfCalls() + " connection failures in a row. It lets a"
          + " probe through " + breaker.getCircuitBreakerConfig().getWaitIntervalFunctionInOpenState().apply(1)
          + " ms after opening (DB_CIRCUIT_RECOVERY_TIMEOUT) and closes when the database answers. Check the"
          + " database, then retry", null);
    }
  }

  /** Reports how a permitted call ended: {@code failure} is {@code null} on success. */
  void outcome(long startNanos, Throwable failure) {
    long elapsed = System.nanoTime() - startNanos;
    if (failure == null) {
      breaker.onSuccess(elapsed, TimeUnit.NANOSECONDS);
    } else {
      breaker.onError(elapsed, TimeUnit.NANOSECONDS, failure);
    }
  }

  /** The state as the health document shows it. */
  String state() {
    return switch (breaker.getState()) {
      case CLOSED -> "closed";
      case OPEN, FORCED_OPEN -> "open";
      case HALF_OPEN -> "half_open";
      case DISABLED, METRICS_ONLY -> "disabled";
    };
  }
}
