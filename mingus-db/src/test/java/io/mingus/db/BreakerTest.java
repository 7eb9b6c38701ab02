package io.mingus.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Circuit breakers and recovery from outages. A TCP outage needs a database behind a network
 * connection: these run on PostgreSQL through {@link TcpProxy} (an in-memory H2 lives inside this
 * JVM and cannot be cut off), and never stop the shared server.
 */
class BreakerTest {
  /** The target for a 3-second outage is 2 s; the bound leaves room for a loaded 2-core CI machine. */
  static final Duration RECOVERY_BOUND = Duration.ofSeconds(4);

  private static void selectOne(Database db) {
    db.inTransaction(TransactionOptions.named("ping"), s -> s.queryOne("SELECT 1", rs -> rs.getInt(1)));
  }

  private static long poolTouches(Database db) {
    PoolMetrics m = db.pools().metrics(PoolName.MAIN);
    return m.checkouts() + m.timeouts() + m.connectionErrors();
  }

  static double transitions(MeterRegistry registry, PoolName pool, String from, String to) {
    return registry.get("mingus.db.breaker.transitions").tags("pool", pool.label(), "from", from, "to", to)
        .counter().count();
  }

  private static DatabaseConfig.Builder behind(TcpProxy proxy, DatabaseConfig.Builder c, Duration poolTimeout) {
    return c.url(proxy.rewrite(TestDb.postgresUrl()), TestDb.postgresUser(), TestDb.postgresPassword())
        .poolSize(PoolName.MAIN, 2, 0).poolSize(PoolName.WORKER, 1, 0).poolSize(PoolName.ANALYTICS, 1, 0)
        .poolTimeout(PoolName.MAIN, poolTimeout).poolTimeout(PoolName.WORKER, poolTimeout)
        .poolTimeout(PoolName.ANALYTICS, poolTimeout);
  }

  @ParameterizedTest
  @EnumSource(value = TestEngine.class, names = "POSTGRESQL")
  void the_breaker_opens_when_new_connections_fail_and_a_probe_closes_it_long_before_the_recovery_timeout(
      TestEngine engine) {
    try (TcpProxy proxy = TcpProxy.toPostgres();
        TestDb t = TestDb.open(engine, c -> behind(proxy, c, Duration.ofMillis(500))
            .healthCheckTimeout(Duration.ofSeconds(2))
            // the recovery timeout is only the cap of the probe's intervals: the breaker must close long before it
            .breaker(3, Duration.ofSeconds(60)))) {
      Database db = t.db();
      selectOne(db);
      assertThat(db.health().healthy()).isTrue();

      proxy.cut();
      int attempts = 0;
      while (db.pools().breakerState(PoolName.MAIN) != BreakerState.OPEN) {
        attempts++;
        assertThat(attempts).as("attempts before the breaker opens").isLessThanOrEqualTo(3 + 1);
        Throwable failure = catchThrowable(() -> selectOne(db));
        assertThat(failure).as("attempt %d during the outage", attempts).isNotNull();
        assertThat(DatabaseErrors.classify(failure).kind()).isEqualTo(ErrorKind.CONNECTION);
        assertThat(failure).isNotInstanceOf(DatabaseUnavailableException.class);
      }
      // A failure on the connection that was lent before the cut does not count; three failures to
      // open a new one do: the guide's failure_threshold.
      assertThat(attempts).isGreaterThanOrEqualTo(3);
      assertThat(transitions(db.meterRegistry(), PoolName.MAIN, "closed", "open")).isEqualTo(1.0);

      long touches = poolTouches(db);
      Throwable refused = catchThrowable(() -> selectOne(db));
      assertThat(refused).isInstanceOf(DatabaseUnavailableException.class)
          .hasMessageContaining("pool 'main'").hasMessageContaining("transaction 'ping'")
          .hasMessageContaining("circuit breaker is open (for ")
          .hasMessageContaining("3 failures in a row to open a connection (DB_CIRCUIT_FAILURE_THRESHOLD)")
          .hasMessageContaining("A fresh connection probes the database")
          .hasMessageContaining("up to 60000 ms (DB_CIRCUIT_RECOVERY_TIMEOUT)");
      assertThat(((DatabaseUnavailableException) refused).pool()).isEqualTo(PoolName.MAIN);
      assertThat(DatabaseErrors.classify(refused).kind()).isEqualTo(ErrorKind.CONNECTION);
      assertThat(poolTouches(db)).as("an open breaker does not touch the pool").isEqualTo(touches);

      HealthReport down = db.health();
      assertThat(down.status()).isEqualTo(HealthStatus.UNHEALTHY);
      PoolHealth main = down.pools().get(PoolName.MAIN);
      assertThat(main.status()).isEqualTo(HealthStatus.UNHEALTHY);
      assertThat(main.circuitBreaker()).isEqualTo(BreakerState.OPEN);
      assertThat(main.circuitOpenedAt()).isNotNull().isBeforeOrEqualTo(down.checkedAt());
      assertThat(main.error()).contains("circuit breaker open for ");
      assertThat(db.pools().metrics(PoolName.MAIN).connectionErrors()).isGreaterThanOrEqualTo(3);

      proxy.restore();
      // No transaction and no health check: the pool's own probe closes the breaker.
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
          .until(() -> db.pools().breakerState(PoolName.MAIN) == BreakerState.CLOSED);
      selectOne(db);
      assertThat(transitions(db.meterRegistry(), PoolName.MAIN, "open", "closed")).isEqualTo(1.0);
      PoolHealth back = db.health().pools().get(PoolName.MAIN);
      assertThat(back.circuitBreaker()).isEqualTo(BreakerState.CLOSED);
      assertThat(back.circuitOpenedAt()).isNull();
    }
  }

  /**
   * The target: after a 3-second TCP cut under load on all three pools, the first commit on
   * every pool within {@link #RECOVERY_BOUND} of the restore. {@code -Dmingus.recovery.rounds=N}
   * repeats it N times in one database and prints each round (docs/BENCHMARKS.md has the figures).
   */
  @ParameterizedTest
  @EnumSource(value = TestEngine.class, names = "POSTGRESQL")
  void after_a_three_second_outage_every_pool_commits_again_within_seconds_of_the_restore(TestEngine engine) {
    int rounds = Integer.getInteger("mingus.recovery.rounds", 1);
    try (TcpProxy proxy = TcpProxy.toPostgres();
        TestDb t = TestDb.open(engine, c -> behind(proxy, c, Duration.ofSeconds(1)).breaker(3, Duration.ofSeconds(60)));
        TransactionLoad load = TransactionLoad.selectOne(t.db(), List.of(PoolName.values()), 2, Duration.ofMillis(20))) {
      Database db = t.db();
      for (int round = 1; round <= rounds; round++) {
        long started = System.nanoTime();
        await().atMost(Duration.ofSeconds(20)).until(() -> List.of(PoolName.values()).stream()
            .allMatch(p -> load.firstSuccessAfter(p, started) > 0));

        proxy.cut();
        long cut = System.nanoTime();
        await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
        assertThat(load.failuresAfter(cut)).as("the outage was felt").isNotEmpty();
        proxy.restore();
        long restored = System.nanoTime();

        await().atMost(Duration.ofSeconds(20)).until(() -> List.of(PoolName.values()).stream()
            .allMatch(p -> load.firstSuccessAfter(p, restored) > 0));
        StringBuilder line = new StringBuilder("round " + round + ": outage " + (restored - cut) / 1_000_000 + " ms;");
        for (PoolName p : PoolName.values()) {
          Duration recovered = Duration.ofNanos(load.firstSuccessAfter(p, restored) - restored);
          line.append(" ").append(p.label()).append(" first commit ").append(recovered.toMillis())
              .append(" ms after the restore (breaker opened ")
              .append((long) transitions(db.meterRegistry(), p, "closed", "open")).append("x so far);");
          assertThat(recovered).as("round %d, pool %s: restore to first commit", round, p.label())
              .isLessThanOrEqualTo(RECOVERY_BOUND);
        }
        System.out.println(line);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = TestEngine.class, names = "POSTGRESQL")
  void terminating_every_backend_of_a_pool_costs_only_retries_and_never_opens_its_breaker(TestEngine engine)
      throws Exception {
    // A name of this test's own, so that only its backends are terminated on the shared server.
    String app = "mingus-test-" + UUID.randomUUID().toString().substring(0, 8);
    try (TestDb t = TestDb.open(engine, c -> c.url(TestDb.postgresUrl() + "?ApplicationName=" + app,
            TestDb.postgresUser(), TestDb.postgresPassword()).breaker(3, Duration.ofSeconds(60)));
        TransactionLoad load = TransactionLoad.start(t.db(), List.of(PoolName.MAIN), 6, Duration.ofMillis(5),
            // read-only: a commit cut by the event is then safely retried (a read-write one's outcome is unknown)
            (db, pool) -> db.inTransaction(TransactionOptions.named("steady").withReadOnly(true)
                    .withRetry(RetryPolicy.defaults()),
                s -> s.queryOne("SELECT count(*) FROM pg_sleep(0.002)", rs -> rs.getLong(1))))) {
      Database db = t.db();
      long started = System.nanoTime();
      int terminated = 0;
      for (int event = 0; event < 3; event++) {
        long before = load.successes(PoolName.MAIN);
        await().atMost(Duration.ofSeconds(20)).until(() -> load.successes(PoolName.MAIN) >= before + 50);
        terminated += terminateAll(t, app);
      }
      long last = load.successes(PoolName.MAIN);
      await().atMost(Duration.ofSeconds(20)).until(() -> load.successes(PoolName.MAIN) >= last + 50);

      assertThat(terminated).as("backends terminated in three events").isGreaterThanOrEqualTo(3);
      assertThat(load.failuresAfter(started)).as("no transaction failed beyond its retries").isEmpty();
      assertThat(db.stats().retries()).as("the events were felt, and retried").isPositive();
      assertThat(transitions(db.meterRegistry(), PoolName.MAIN, "closed", "open")).isZero();
      assertThat(db.pools().breakerState(PoolName.MAIN)).isEqualTo(BreakerState.CLOSED);
    }
  }

  private static int terminateAll(TestDb t, String app) throws Exception {
    try (Connection raw = t.rawConnection();
        PreparedStatement ps = raw.prepareStatement("SELECT count(*) FROM (SELECT pg_terminate_backend(pid)"
            + " FROM pg_stat_activity WHERE application_name = ? AND pid <> pg_backend_pid()) killed")) {
      ps.setString(1, app);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = TestEngine.class, names = "POSTGRESQL")
  void a_database_down_at_start_does_not_stop_start_up_and_is_used_once_it_is_up(TestEngine engine) {
    try (TcpProxy proxy = TcpProxy.toPostgres()) {
      proxy.cut();
      try (TestDb t = TestDb.open(engine, c -> behind(proxy, c, Duration.ofMillis(500))
          .poolSize(PoolName.MAIN, 1, 0).breaker(3, Duration.ofSeconds(1)))) {
        Database db = t.db();
        assertThat(db.health().status()).isEqualTo(HealthStatus.UNHEALTHY);
        proxy.restore();
        // Start-up could not create the test's schema; the first transaction with a connection does.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
            .untilAsserted(() -> db.inTransaction(s -> s.update("CREATE TABLE late (id INT)")));
        db.inTransaction(s -> s.update("INSERT INTO late VALUES (1)"));
        assertThat(db.pools().breakerState(PoolName.MAIN)).isEqualTo(BreakerState.CLOSED);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void integrity_and_programming_errors_never_open_the_breaker(TestEngine engine) {
    try (TestDb t = TestDb.open(engine, c -> c.breaker(2, Duration.ofSeconds(60)))) {
      Database db = t.db();
      db.inTransaction(s -> s.update("CREATE TABLE items (id INT PRIMARY KEY)"));
      db.inTransaction(s -> s.update("INSERT INTO items VALUES (1)"));
      for (int i = 0; i < 5; i++) {
        Throwable dup = catchThrowable(() -> db.inTransaction(s -> s.update("INSERT INTO items VALUES (1)")));
        assertThat(DatabaseErrors.classify(dup).kind()).isEqualTo(ErrorKind.INTEGRITY);
        Throwable bad = catchThrowable(() -> db.inTransaction(s -> s.update("INSERT INTO nowhere VALUES (1)")));
        assertThat(DatabaseErrors.classify(bad).kind()).isEqualTo(ErrorKind.PROGRAMMING);
        Throwable app = catchThrowable(() -> db.inTransaction(s -> {
          throw new IllegalStateException("a bug of the caller");
        }));
        assertThat(app).isInstanceOf(IllegalStateException.class);
      }
      assertThat(db.pools().breakerState(PoolName.MAIN)).isEqualTo(BreakerState.CLOSED);
      assertThat(db.pools().metrics(PoolName.MAIN).connectionErrors()).isZero();
      selectOne(db);
    }
  }
}
