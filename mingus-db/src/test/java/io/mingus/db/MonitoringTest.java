package io.mingus.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class MonitoringTest {
  private static final String BIND_VALUE = "bind-value-that-must-not-be-logged";

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void stats_count_transactions_commits_failures_rollbacks_and_retries(TestEngine engine) throws SQLException {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      assertThat(db.stats()).isEqualTo(new SessionStats(0, 0, 0, 0, 0, 0, 0));
      db.inTransaction(s -> {
        s.update("CREATE TABLE items (id INT PRIMARY KEY)");
        assertThat(db.stats().active()).isEqualTo(1);
      });
      assertThatThrownBy(() -> db.inTransaction(s -> {
        throw new IllegalStateException("fails");
      })).isInstanceOf(IllegalStateException.class);
      db.inTransaction(outer -> db.inTransaction(
          TransactionOptions.named("own").withPropagation(Propagation.REQUIRES_NEW), inner -> { }));
      AtomicInteger runs = new AtomicInteger();
      db.inTransaction(TransactionOptions.named("retried").withRetry(
          new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofSeconds(10))), s -> {
            if (runs.incrementAndGet() == 1) {
              throw new SQLException("could not serialize access", "40001");
            }
          });
      assertThat(db.stats()).isEqualTo(new SessionStats(6, 0, 4, 2, 2, 1, 0));
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void health_reports_every_pool_with_latency_utilization_and_breaker(TestEngine engine) {
    Instant now = Instant.parse("2026-03-01T12:00:00Z");
    // A generous timeout: a pool is degraded when its check takes more than half of it, and this
    // test asserts healthy even on a busy machine.
    try (TestDb t = TestDb.open(engine, c -> c.healthCheckTimeout(Duration.ofSeconds(10)),
        b -> b.clock(InstantSource.fixed(now)))) {
      Database db = t.db();
      HealthReport report = db.health();
      assertThat(report.status()).isEqualTo(HealthStatus.HEALTHY);
      assertThat(report.healthy()).isTrue();
      assertThat(report.checkedAt()).isEqualTo(now);
      assertThat(report.pools()).containsOnlyKeys(PoolName.MAIN, PoolName.WORKER, PoolName.ANALYTICS);
      for (PoolHealth h : report.pools().values()) {
        assertThat(h.status()).isEqualTo(HealthStatus.HEALTHY);
        assertThat(h.responseTime()).isPositive();
        assertThat(h.utilization()).isZero();
        assertThat(h.circuitBreaker()).isEqualTo(BreakerState.CLOSED);
        assertThat(h.circuitOpenedAt()).isNull();
        assertThat(h.error()).isNull();
        assertThat(h.metrics().pool()).isEqualTo(h.pool());
      }
      assertThat(report.stats()).isEqualTo(db.stats());
      db.inTransaction(s -> {
        PoolHealth main = db.health().pools().get(PoolName.MAIN);
        assertThat(main.utilization()).isEqualTo(0.25);
        assertThat(main.metrics().checkedOut()).isEqualTo(1);
      });
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void pool_metrics_and_performance_describe_the_pools(TestEngine engine) {
    try (TestDb t = TestDb.open(engine, c -> c.poolSize(PoolName.MAIN, 2, 3))) {
      Database db = t.db();
      PoolMetrics fresh = db.pools().metrics(PoolName.MAIN);
      assertThat(fresh.poolSize()).isEqualTo(2);
      assertThat(fresh.maxSize()).isEqualTo(5);
      assertThat(fresh.total()).as("connections open as they are used").isZero();
      for (int i = 0; i < 5; i++) {
        db.inTransaction(s -> s.queryOne("SELECT 1", rs -> rs.getInt(1)));
      }
      PoolMetrics idle = db.pools().metrics(PoolName.MAIN);
      assertThat(idle.checkedOut()).isZero();
      assertThat(idle.checkedIn()).isEqualTo(1);
      assertThat(idle.total()).isEqualTo(1);
      assertThat(idle.pending()).isZero();
      assertThat(idle.overflow()).isZero();
      assertThat(idle.connectionErrors()).isZero();
      assertThat(idle.timeouts()).isZero();
      db.inTransaction(a -> db.inTransaction(TransactionOptions.named("b").withPropagation(Propagation.REQUIRES_NEW),
          b -> db.inTransaction(TransactionOptions.named("c").withPropagation(Propagation.REQUIRES_NEW), c -> {
            PoolMetrics busy = db.pools().metrics(PoolName.MAIN);
            assertThat(busy.checkedOut()).isEqualTo(3);
            assertThat(busy.total()).isEqualTo(3);
            assertThat(busy.overflow()).as("open connections above pool_size").isEqualTo(1);
            assertThat(busy.utilization()).isEqualTo(3.0 / 5);
          })));
      await().atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(db.pools().metrics(PoolName.MAIN).total()).isEqualTo(2));
      PoolMetrics after = db.pools().metrics(PoolName.MAIN);
      assertThat(after.checkouts()).isEqualTo(8);
      assertThat(after.averageCheckout()).isPositive();
      assertThat(after.p99Checkout()).isGreaterThanOrEqualTo(Duration.ZERO);
      assertThat(db.pools().metrics()).containsOnlyKeys(PoolName.values());
      PerformanceMetrics perf = db.pools().performance();
      assertThat(perf.totalCheckouts()).isEqualTo(8);
      assertThat(perf.totalErrors()).isZero();
      assertThat(perf.totalTimeouts()).isZero();
      assertThat(perf.errorRate()).isZero();
      assertThat(perf.averageCheckoutTime()).isPositive();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void hikari_breaker_and_mingus_meters_share_one_pool_label_in_the_given_registry(TestEngine engine) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (TestDb t = TestDb.open(engine, c -> c, b -> b.meterRegistry(registry))) {
      Database db = t.db();
      assertThat(db.meterRegistry()).isSameAs(registry);
      db.inTransaction(s -> s.queryOne("SELECT 1", rs -> rs.getInt(1)));
      for (PoolName p : PoolName.values()) {
        String pool = p.label();
        assertThat(registry.find("hikaricp.connections").tag("pool", pool).gauge()).isNotNull();
        assertThat(registry.find("hikaricp.connections.active").tag("pool", pool).gauge()).isNotNull();
        assertThat(registry.find("hikaricp.connections.acquire").tag("pool", pool).timer()).isNotNull();
        assertThat(registry.find("hikaricp.connections.timeout").tag("pool", pool).counter()).isNotNull();
        assertThat(registry.find("mingus.db.pool.connection.errors").tag("pool", pool).counter()).isNotNull();
        assertThat(registry.get("resilience4j.circuitbreaker.state").tags("pool", pool, "state", "closed").gauge()
            .value()).isEqualTo(1.0);
        assertThat(registry.get("resilience4j.circuitbreaker.state").tags("pool", pool, "state", "open").gauge()
            .value()).isZero();
        assertThat(registry.get("mingus.db.breaker.transitions").tags("pool", pool, "from", "closed", "to", "open")
            .counter().count()).isZero();
      }
      // Hikari's own meters replace the duplicates Mingus used to register beside them.
      assertThat(registry.find("mingus.db.pool.checkout").meters()).isEmpty();
      assertThat(registry.find("mingus.db.pool.timeouts").meters()).isEmpty();
      assertThat(registry.find("hikaricp.connections").tag("pool", "mingus-main").meters()).isEmpty();
      assertThat(registry.get("hikaricp.connections.acquire").tag("pool", "main").timer().count()).isPositive();
      assertThat(db.pools().metrics(PoolName.MAIN).checkouts()).isPositive();
      assertThat(registry.get("mingus.db.transactions").tag("outcome", "committed").functionCounter().count())
          .isEqualTo(1.0);
      assertThat(registry.get("mingus.db.transactions").tag("outcome", "failed").functionCounter().count()).isZero();
      assertThat(registry.get("mingus.db.transactions.active").gauge().value()).isZero();
      assertThat(registry.find("mingus.db.retries").functionCounter()).isNotNull();
      assertThat(registry.find("mingus.db.rollbacks").functionCounter()).isNotNull();
      assertThat(registry.find("mingus.db.slow.queries").functionCounter()).isNotNull();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void the_optimizer_recommends_growth_for_a_pool_held_near_full(TestEngine engine) throws Exception {
    try (TestDb t = TestDb.open(engine);
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      Database db = t.db();
      PoolOptimizer optimizer = db.optimizer();
      assertThat(optimizer.running()).as("monitoring is off in the testing profile").isFalse();
      assertThat(optimizer.optimizeAll()).allSatisfy(r -> assertThat(r.reason()).isEqualTo("no samples yet"));
      CountDownLatch release = new CountDownLatch(1);
      List<Future<?>> held = PoolsTest.holders(db, threads, 4, release);
      try {
        for (int i = 0; i < 3; i++) {
          optimizer.sample();
        }
      } finally {
        release.countDown();
      }
      for (Future<?> f : held) {
        f.get(20, TimeUnit.SECONDS);
      }
      PoolRecommendation main = optimizer.optimizeAll().getFirst();
      assertThat(main.pool()).isEqualTo(PoolName.MAIN);
      assertThat(main.currentMaxSize()).isEqualTo(4);
      assertThat(main.recommendedMaxSize()).isEqualTo(6);
      assertThat(main.peakUtilization()).isEqualTo(1.0);
      assertThat(main.samples()).isEqualTo(3);
      assertThat(main.applied()).isFalse();
      assertThat(main.reason()).contains("near full");
      assertThat(db.pools().metrics(PoolName.MAIN).maxSize()).as("recommendation only").isEqualTo(4);

      optimizer.reset();
      assertThat(optimizer.optimizeAll().getFirst().samples()).isZero();
      assertThat(db.pools().performance().totalCheckouts()).isZero();
      optimizer.start();
      optimizer.start();
      assertThat(optimizer.running()).isTrue();
      optimizer.stop();
      optimizer.stop();
      assertThat(optimizer.running()).isFalse();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void with_resizing_on_the_optimizer_changes_the_pools_maximum(TestEngine engine) throws Exception {
    try (TestDb t = TestDb.open(engine, c -> c.optimizerResize(true));
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      Database db = t.db();
      CountDownLatch release = new CountDownLatch(1);
      List<Future<?>> held = PoolsTest.holders(db, threads, 4, release);
      try {
        db.optimizer().sample();
      } finally {
        release.countDown();
      }
      for (Future<?> f : held) {
        f.get(20, TimeUnit.SECONDS);
      }
      PoolRecommendation main = db.optimizer().optimizeAll().getFirst();
      assertThat(main.applied()).isTrue();
      assertThat(db.pools().metrics(PoolName.MAIN).maxSize()).isEqualTo(6);
      assertThat(db.pools().metrics(PoolName.WORKER).maxSize()).as("a pool at its pool_size does not shrink")
          .isEqualTo(4);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_transaction_held_past_the_leak_threshold_is_reported_with_its_name_pool_and_stack(TestEngine engine) {
    try (TestDb t = TestDb.open(engine, c -> c.leakDetection(Duration.ofMillis(200)));
        LogCapture logs = LogCapture.of(Level.WARN, "io.mingus.db.transactions")) {
      Database db = t.db();
      db.inTransaction(TransactionOptions.named("slow-report"), s -> {
        await().atMost(Duration.ofSeconds(10)).until(() -> !leakReports(logs).isEmpty());
        assertThat(db.openTransactions()).singleElement().satisfies(open -> {
          assertThat(open.name()).isEqualTo("slow-report");
          assertThat(open.pool()).isEqualTo(PoolName.MAIN);
          assertThat(open.heldFor()).isGreaterThanOrEqualTo(Duration.ofMillis(200));
          assertThat(open.acquiredAt()).isNotEmpty();
        });
      });
      ILoggingEvent leak = leakReports(logs).getFirst();
      assertThat(leak.getFormattedMessage()).contains("transaction 'slow-report'").contains("pool main")
          .contains("DB_LEAK_DETECTION_MS=200");
      assertThat(LogCapture.fullText(leak)).contains("acquired its connection here")
          .contains("a_transaction_held_past_the_leak_threshold_is_reported_with_its_name_pool_and_stack");
      assertThat(leakReports(logs)).as("reported once").hasSize(1);
    }
  }

  private static List<ILoggingEvent> leakReports(LogCapture logs) {
    return logs.events().stream().filter(e -> e.getFormattedMessage().contains("possible connection leak")).toList();
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_slow_statement_is_logged_with_its_sql_duration_and_transaction_but_not_its_parameters(TestEngine engine) {
    try (TestDb t = TestDb.open(engine, c -> c.slowQueryThreshold(Duration.ofMillis(50)));
        LogCapture logs = LogCapture.of(Level.INFO, "io.mingus.db")) {
      Database db = t.db();
      String sleep = engine == TestEngine.POSTGRESQL ? "pg_sleep(0.2)" : "SLEEP(200)";
      if (engine == TestEngine.H2) {
        db.inTransaction(s -> s.update("CREATE ALIAS SLEEP FOR 'java.lang.Thread.sleep(long)'"));
      }
      db.inTransaction(TransactionOptions.named("slow-one"),
          s -> s.queryOne("SELECT " + sleep + ", CAST(? AS VARCHAR(100))", rs -> rs.getString(2), BIND_VALUE));
      List<String> slow = logs.events().stream().filter(e -> e.getLoggerName().equals("io.mingus.db.slow"))
          .map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("CAST(?")).toList();
      assertThat(slow).singleElement().asString()
          .contains("slow query").contains("threshold 50 ms").contains("transaction 'slow-one'")
          .contains("pool main").contains("SELECT " + sleep + ", CAST(? AS VARCHAR(100))")
          .containsPattern("slow query: \\d+ ms");
      assertThat(logs.allText()).doesNotContain(BIND_VALUE);
      assertThat(db.stats().slowQueries()).isGreaterThanOrEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void sql_echo_logs_statements_without_parameter_values(TestEngine engine) {
    try (TestDb t = TestDb.open(engine, c -> c.echo(true));
        LogCapture logs = LogCapture.of(Level.INFO, "io.mingus.db.sql")) {
      Database db = t.db();
      db.inTransaction(TransactionOptions.named("echoed"), s -> {
        s.update("CREATE TABLE items (id INT PRIMARY KEY, secret VARCHAR(100))");
        s.update("INSERT INTO items VALUES (?, ?)", 1, BIND_VALUE);
      });
      assertThat(logs.messages(Level.INFO)).anySatisfy(m -> assertThat(m)
          .contains("INSERT INTO items VALUES (?, ?)").contains("transaction 'echoed'").contains("pool main"));
      assertThat(logs.allText()).doesNotContain(BIND_VALUE);
    }
  }
}
