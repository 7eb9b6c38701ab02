package io.mingus.db.internal;

import com.zaxxer.hikari.metrics.MetricsTrackerFactory;
import com.zaxxer.hikari.metrics.PoolStats;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mingus.db.PoolName;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The numbers of one pool behind the health and metrics documents. {@link #trackerFactory} hands
 * Hikari its own Micrometer tracker (the {@code hikaricp_*} meters, labelled {@code pool="main"}
 * like every Mingus meter). Checkouts and their times are counted here as transactions see them,
 * the wait for a turn at the pool's {@link Gate} included, which Hikari's acquire time does not
 * hold. Mingus exports only what Hikari does not count: failures to reach the database ({@code
 * mingus_db_pool_connection_errors_total}). The counters here are resettable (Micrometer meters
 * are not) for {@code PoolOptimizer.reset()}. Thread-safe.
 */
final class PoolMeters {
  private final PoolName pool;
  private final Counter errorCounter;
  private final Timer checkoutWindow;
  private final LongAdder checkouts = new LongAdder();
  private final LongAdder checkoutNanos = new LongAdder();
  private final LongAdder errors = new LongAdder();
  private final LongAdder timeouts = new LongAdder();

  PoolMeters(PoolName pool, MeterRegistry registry) {
    this.pool = pool;
    errorCounter = Counter.builder("mingus.db.pool.connection.errors")
        .description("failures to reach the database").tag("pool", pool.label()).register(registry);
    // not exported: only the p99 of /metrics/database is read from it
    checkoutWindow = Timer.builder("checkout").publishPercentiles(0.99).register(new SimpleMeterRegistry());
  }

  /** Hikari's Micrometer tracker under this pool's label. */
  MetricsTrackerFactory trackerFactory(MeterRegistry registry) {
    MicrometerMetricsTrackerFactory micrometer = new MicrometerMetricsTrackerFactory(registry);
    return (hikariName, stats) -> micrometer.create(pool.label(), stats);
  }

  /** A transaction got a connection after {@code nanos} (its turn at the gate, then Hikari). */
  void checkedOut(long nanos) {
    checkoutWindow.record(nanos, TimeUnit.NANOSECONDS);
    checkouts.increment();
    checkoutNanos.add(nanos);
  }

  void connectionError() {
    errorCounter.increment();
    errors.increment();
  }

  /** A caller gave up waiting for a connection while the database answered (the pool was full). */
  void timeout() {
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
    for (ValueAtPercentile v : checkoutWindow.takeSnapshot().percentileValues()) {
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
