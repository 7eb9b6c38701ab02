package io.mingus.db.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.circuitbreaker.event.CircuitBreakerOnStateTransitionEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.mingus.db.BreakerState;
import io.mingus.db.DatabaseConfig;
import io.mingus.db.DatabaseErrors;
import io.mingus.db.DatabaseUnavailableException;
import io.mingus.db.ErrorKind;
import io.mingus.db.PoolName;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The circuit breaker of one pool: a Resilience4j breaker that opens after {@code
 * DB_CIRCUIT_FAILURE_THRESHOLD} failures in a row to <em>open a new connection</em>, refuses
 * transactions at once while open, and closes as soon as the pool's {@link Reachability} probe
 * reaches the database with a fresh physical connection.
 *
 * <p>What counts. A transaction that could not get a connection (the pool could open none)
 * counts as a failure; one that ran counts as a success, even if it failed on a bad statement.
 * A transaction that failed on the connection it was lent (terminated by the server, broken by a
 * restart or a network cut: 57P01, 57P02, 08006, I/O) is not counted either way: a burst of those
 * comes from one event killing the connections opened before it, and says nothing about whether
 * new ones can be opened. Its retry, on a fresh connection, tells. So a real outage (new
 * connections fail) opens the breaker after {@code DB_CIRCUIT_FAILURE_THRESHOLD} failures in a row, and a
 * terminate-all or a fast restart does not.
 *
 * <p>After {@code DB_CIRCUIT_RECOVERY_TIMEOUT} with no successful probe the breaker also lets one
 * transaction through as a trial (half-open). Thread-safe.
 */
final class Breaker {
  private static final Logger LOG = LoggerFactory.getLogger("io.mingus.db.health");

  private final PoolName pool;
  private final CircuitBreaker breaker;
  private final Reachability reachability;
  private final InstantSource clock;
  private final MeterRegistry registry;
  private final int threshold;
  private final Duration cap;
  private volatile Instant openedAt;

  Breaker(PoolName pool, DatabaseConfig config, CircuitBreakerRegistry breakers, Reachability reachability,
      InstantSource clock, MeterRegistry registry) {
    this.pool = pool;
    this.reachability = reachability;
    this.clock = clock;
    this.registry = registry;
    this.threshold = config.breakerFailures();
    this.cap = config.breakerRecovery();
    CircuitBreakerConfig c = CircuitBreakerConfig.custom()
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(threshold)
        .minimumNumberOfCalls(threshold)
        .failureRateThreshold(100)
        .waitDurationInOpenState(cap)
        .permittedNumberOfCallsInHalfOpenState(1)
        .recordException(Breaker::isConnectionFailure)
        .build();
    this.breaker = breakers.circuitBreaker(pool.label(), c, Map.of("pool", pool.label()));
    // the two transitions an operator alerts on exist from the start, at zero
    transitions("closed", "open");
    transitions("open", "closed");
    breaker.getEventPublisher().onStateTransition(this::transitioned);
    reachability.onRegained(this::close);
  }

  /** Only failures to reach the database count against a breaker; bad SQL or data do not. */
  static boolean isConnectionFailure(Throwable t) {
    ErrorKind kind = DatabaseErrors.classify(t).kind();
    return kind == ErrorKind.CONNECTION || kind == ErrorKind.COMMIT_UNKNOWN;
  }

  /**
   * Lets transaction {@code txName} go on, or refuses it at once.
   *
   * @throws DatabaseUnavailableException when the breaker is open
   */
  void permit(String txName) {
    if (!breaker.tryAcquirePermission()) {
      throw new DatabaseUnavailableException(pool, "pool '" + pool.label() + "' refused transaction '" + txName
          + "' at once: its circuit breaker is open" + openedForText() + " after " + threshold
          + " failures in a row to open a connection (DB_CIRCUIT_FAILURE_THRESHOLD). " + probeText()
          + " Check that the database is up and reachable, then retry", null);
    }
  }

  /** Like {@link #permit} without the exception: whether a call may go on now. */
  boolean tryPermit() {
    return breaker.tryAcquirePermission();
  }

  /** Gives back a permission for a call that ended without saying anything about the database. */
  void release() {
    breaker.releasePermission();
  }

  /** A permitted call could not get a connection: {@code failure} counts if it is a connection failure. */
  void couldNotConnect(long startNanos, Throwable failure) {
    breaker.onError(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS, failure);
  }

  /**
   * A permitted call that got its connection ended: a success when {@code failure} is {@code
   * null} or not a connection failure, and not counted when it broke on the connection it was lent.
   */
  void finished(long startNanos, Throwable failure) {
    long elapsed = System.nanoTime() - startNanos;
    if (failure == null) {
      breaker.onSuccess(elapsed, TimeUnit.NANOSECONDS);
    } else if (isConnectionFailure(failure)) {
      breaker.releasePermission();
    } else {
      breaker.onError(elapsed, TimeUnit.NANOSECONDS, failure);
    }
  }

  BreakerState state() {
    return switch (breaker.getState()) {
      case CLOSED, DISABLED, METRICS_ONLY -> BreakerState.CLOSED;
      case OPEN, FORCED_OPEN -> BreakerState.OPEN;
      case HALF_OPEN -> BreakerState.HALF_OPEN;
    };
  }

  /** When the breaker last opened from closed, or {@code null} while it is closed. */
  Instant openedAt() {
    return openedAt;
  }

  private void close() {
    if (breaker.getState() != CircuitBreaker.State.CLOSED) {
      breaker.transitionToClosedState();
    }
  }

  private void transitioned(CircuitBreakerOnStateTransitionEvent event) {
    CircuitBreaker.StateTransition t = event.getStateTransition();
    transitions(label(t.getFromState()), label(t.getToState())).increment();
    switch (t.getToState()) {
      case OPEN, FORCED_OPEN -> {
        if (openedAt == null) {
          openedAt = clock.instant();
          LOG.warn("pool {}: circuit breaker open after {} failures in a row to open a connection; transactions on"
              + " it fail at once until a probe reaches the database", pool.label(), threshold);
        }
        if (reachability.reachable()) {
          reachability.lost(new SQLTransientConnectionException("the circuit breaker of pool '" + pool.label()
              + "' opened after " + threshold + " failures in a row to open a connection", "08001"));
        }
      }
      case CLOSED -> {
        Instant since = openedAt;
        openedAt = null;
        if (since != null) {
          LOG.info("pool {}: circuit breaker closed after {} ms open", pool.label(),
              Duration.between(since, clock.instant()).toMillis());
        }
      }
      case HALF_OPEN, DISABLED, METRICS_ONLY -> {
        // half-open: a trial transaction decides; the others are never used
      }
    }
  }

  private Counter transitions(String from, String to) {
    return Counter.builder("mingus.db.breaker.transitions")
        .description("state changes of a pool's circuit breaker")
        .tag("pool", pool.label()).tag("from", from).tag("to", to)
        .register(registry);
  }

  private static String label(CircuitBreaker.State s) {
    return switch (s) {
      case CLOSED, DISABLED, METRICS_ONLY -> "closed";
      case OPEN, FORCED_OPEN -> "open";
      case HALF_OPEN -> "half_open";
    };
  }

  private String openedForText() {
    Instant since = openedAt;
    return since == null ? "" : " (for " + Duration.between(since, clock.instant()).toMillis() + " ms)";
  }

  private String probeText() {
    Reachability.Outage o = reachability.outage();
    String next = o == null || o.nextProbe() == null ? ""
        : " (" + o.failedProbes() + " failed so far, the next in "
            + Math.max(0, Duration.between(clock.instant(), o.nextProbe()).toMillis()) + " ms)";
    return "A fresh connection probes the database at growing intervals up to " + cap.toMillis()
        + " ms (DB_CIRCUIT_RECOVERY_TIMEOUT)" + next + ", and the breaker closes as soon as one succeeds.";
  }
}
