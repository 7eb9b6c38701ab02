package io.mingus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.mingus.db.PerformanceMetrics;
import io.mingus.db.PoolConfig;
import io.mingus.db.PoolManager;
import io.mingus.db.PoolMetrics;
import io.mingus.db.PoolName;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** The dashboard's in-memory history: rates and percentiles from the meters, on a settable clock. */
class ConsoleHistoryTest {
  private Instant now = Instant.parse("2026-12-01T10:00:00Z");
  private final InstantSource clock = () -> now;
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  @Test
  void rates_are_per_minute_and_percentiles_come_from_the_pickup_histogram() {
    ConsoleHistory history = new ConsoleHistory(registry, new OnePool(), clock);
    Counter succeeded = outcome("succeeded");
    Counter retried = outcome("retried");
    Timer pickup = Timer.builder("mingus.tasks.pickup").tag("queue", "comms").publishPercentileHistogram().register(registry);
    Counter smsSent = Counter.builder("mingus.comms.outcomes").tags("channel", "sms", "status", "sent").register(registry);
    pickup.record(Duration.ofSeconds(20)); // before the first sample: in no window
    history.sample();

    for (int second = 2; second <= 30; second += 2) {
      now = now.plusSeconds(2);
      succeeded.increment(2);
      smsSent.increment();
      for (int ms = 1; ms <= 10; ms++) {
        pickup.record(Duration.ofMillis(ms * 10L)); // 10 .. 100 ms, evenly
      }
      history.sample();
    }
    retried.increment(3);
    now = now.plusSeconds(2);
    history.sample();

    List<ConsoleHistory.Point> points = history.points(0);
    assertThat(points).hasSize(17);
    assertThat(points.getFirst().succeeded()).isZero();
    ConsoleHistory.Point last = points.getLast();
    // from the sample at 2 s to the one at 32 s: 28 succeeded in half a minute
    assertThat(last.succeeded()).isEqualTo(56.0);
    assertThat(last.retried()).isEqualTo(6.0);
    assertThat(last.comms().get("sms").get("sent")).isEqualTo(28.0);
    assertThat(last.pools().get("main").active()).isEqualTo(3);
    assertThat(last.pickupP50Ms()).isCloseTo(50.0, within(8.0));
    assertThat(last.pickupP99Ms()).isCloseTo(100.0, within(12.0));
    assertThat(history.points(last.seq() - 1)).containsExactly(last);

    ConsoleHistory.LastMinute minute = history.lastMinute();
    assertThat(minute.succeeded()).isEqualTo(30);
    assertThat(minute.retried()).isEqualTo(3);
    assertThat(minute.failed()).isZero();
    assertThat(minute.comms().get("sms").get("sent")).isEqualTo(15);
    assertThat(minute.pickupP50Ms()).isCloseTo(50.0, within(8.0));
  }

  @Test
  void with_no_pickup_in_the_window_there_is_no_percentile_and_history_is_bounded() {
    ConsoleHistory history = new ConsoleHistory(registry, new OnePool(), clock);
    for (int i = 0; i < 400; i++) {
      history.sample();
      now = now.plus(ConsoleHistory.INTERVAL);
    }
    assertThat(history.points(0)).hasSize((int) (ConsoleHistory.SPAN.toSeconds() / ConsoleHistory.INTERVAL.toSeconds()));
    assertThat(history.points(0).getLast().pickupP99Ms()).isNull();
    assertThat(history.lastMinute().pickupP50Ms()).isNull();
    assertThat(history.seq()).isEqualTo(400);
  }

  @Test
  void a_percentile_interpolates_within_its_bucket() {
    double[] bounds = {1e6, 2e6, 4e6};         // 1, 2, 4 ms
    assertThat(ConsoleHistory.percentile(bounds, new double[] {0, 10, 10}, 0.5)).isEqualTo(1.5);
    assertThat(ConsoleHistory.percentile(bounds, new double[] {10, 10, 20}, 0.75)).isEqualTo(3.0);
    assertThat(ConsoleHistory.percentile(bounds, new double[] {0, 0, 0}, 0.5)).isNull();
  }

  private Counter outcome(String outcome) {
    return Counter.builder("mingus.tasks.outcomes").tags("name", "t", "outcome", outcome).register(registry);
  }

  /** Three pools, the main one with 3 connections in use. */
  private static final class OnePool implements PoolManager {
    @Override
    public java.util.Set<PoolName> names() {
      return java.util.EnumSet.allOf(PoolName.class);
    }

    @Override
    public PoolMetrics metrics(PoolName pool) {
      return new PoolMetrics(pool, 5, 10, pool == PoolName.MAIN ? 3 : 0, 2, 0, 0, 5, 0, 0, 9, Duration.ZERO, Duration.ZERO);
    }

    @Override
    public Map<PoolName, PoolMetrics> metrics() {
      Map<PoolName, PoolMetrics> all = new LinkedHashMap<>();
      for (PoolName p : PoolName.values()) {
        all.put(p, metrics(p));
      }
      return all;
    }

    @Override
    public PerformanceMetrics performance() {
      throw new UnsupportedOperationException();
    }

    @Override
    public DataSource dataSource(PoolName pool) {
      throw new UnsupportedOperationException();
    }

    @Override
    public io.mingus.db.BreakerState breakerState(PoolName pool) {
      return io.mingus.db.BreakerState.CLOSED;
    }

    @Override
    public PoolConfig config(PoolName pool) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void resize(PoolName pool, int maxSize) {
      throw new UnsupportedOperationException();
    }
  }
}
