package io.mingus.db.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.mingus.db.PoolName;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Checkout times, connection errors and timeouts of one pool: Micrometer meters for export, and
 * resettable adders for the guide's metrics documents (Micrometer meters cannot be reset).
 */
final class PoolMeters {
  private final Timer checkoutTimer;
  private final Counter errorCounter;
  private final Counter timeoutCounter;
  private final LongAdder checkouts = new LongAdder();
  private final LongAdder checkoutNanos = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private final LongAdder timeouts = new LongAdder();

  PoolMeters(PoolName pool, MeterRegistry registry) {
    checkoutTimer = Timer.builder("mingus.db.pool.checkout")
        .description("time a transaction waited for a connection")
        .tag("pool", pool.label())
        .publishPercentiles(0.99)
        .register(registry);
    errorCounter = Counter.builder("mingus.db.pool.connection.errors")
        .description("failures to reach the database").tag("pool", pool.label()).register(registry);
    timeoutCounter = Counter.builder("mingus.db.pool.timeouts")
        .description("callers that gave up waiting for a connection").tag("pool", pool.label()).register(registry);
  }

  void checkout(long nanos) {
    checkoutTimer.record(nanos, TimeUnit.NANOSECONDS);
    checkouts.increment();
    checkoutNanos.add(nanos);
  }

  void connectionError() {
    errorCounter.increment();
    errors.increment();
  }

  void timeout() {
    timeoutCounter.increment();
    timeouts.increment();
  }

  long checkouts() {
    return checkouts.sum();
  }

  long checkoutNanos() {
    return checkoutNanos.sum();
  }

  long connectionErrors() {
    return errors.sum();
  }

  long timeouts() {
    return timeouts.sum();
  }

  Duration averageCheckout() {
    long n = checkouts.sum();
    return Duration.ofNanos(n == 0 ? 0 : checkoutNanos.sum() / n);
  }

  Duration p99Checkout() {
    for (ValueAtPercentile v : checkoutTimer.takeSnapshot().percentileValues()) {
      if (v.percentile() == 0.99) {
        return Duration.ofNanos((long) v.value(TimeUnit.NANOSECONDS));
      }
    }
    return Duration.ZERO;
  }

  void reset() {
    checkouts.reset();
    checkoutNanos.reset();
    errors.reset();
    timeouts.reset();
  }
}
