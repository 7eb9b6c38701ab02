package io.mingus.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BreakerTest {

  private static void selectOne(Database db) {
    db.inTransaction(TransactionOptions.named("ping"), s -> s.queryOne("SELECT 1", rs -> rs.getInt(1)));
  }

  private static long poolTouches(Database db) {
    PoolMetrics m = db.pools().metrics(PoolName.MAIN);
    return m.checkouts() + m.timeouts() + m.connectionErrors();
  }

  /**
   * A TCP outage needs a database behind a network connection: PostgreSQL through {@link
   * TcpProxy}. An in-memory H2 lives inside this JVM and cannot be cut off.
   */
  @ParameterizedTest
  @EnumSource(value = TestEngine.class, names = "POSTGRESQL")
  void the_breaker_opens_on_an_outage_fails_fast_and_closes_once_the_database_is_back(TestEngine engine) {
    try (TcpProxy proxy = TcpProxy.toPostgres();
        TestDb t = TestDb.open(engine, c -> c.url(proxy.rewrite(TestDb.postgresUrl()), TestDb.postgresUser(),
                TestDb.postgresPassword())
            .poolSize(PoolName.MAIN, 2, 0).poolSize(PoolName.WORKER, 1, 0).poolSize(PoolName.ANALYTICS, 1, 0)
            .poolTimeout(PoolName.MAIN, Duration.ofMillis(500)).poolTimeout(PoolName.WORKER, Duration.ofMillis(500))
            .poolTimeout(PoolName.ANALYTICS, Duration.ofMillis(500))
            .healthCheckTimeout(Duration.ofSeconds(2))
            .breaker(3, Duration.ofSeconds(1)))) {
      Database db = t.db();
      selectOne(db);
      assertThat(db.health().healthy()).isTrue();

      proxy.cut();
      for (int i = 0; i < 3; i++) {
        Throwable failure = catchThrowable(() -> selectOne(db));
        assertThat(failure).as("attempt %d during the outage", i + 1).isNotNull();
        assertThat(DatabaseErrors.classify(failure).kind()).isEqualTo(ErrorKind.CONNECTION);
        assertThat(failure).isNotInstanceOf(DatabaseUnavailableException.class);
      }
      assertThat(db.pools().breakerState(PoolName.MAIN)).isEqualTo("open");

      long touches = poolTouches(db);
      Throwable refused = catchThrowable(() -> selectOne(db));
      assertThat(refused).isInstanceOf(DatabaseUnavailableException.class)
          .hasMessageContaining("pool 'main'").hasMessageContaining("transaction 'ping'")
          .hasMessageContaining("circuit breaker is open").hasMessageContaining("1000 ms after opening");
      assertThat(((DatabaseUnavailableException) refused).pool()).isEqualTo(PoolName.MAIN);
      assertThat(DatabaseErrors.classify(refused).kind()).isEqualTo(ErrorKind.CONNECTION);
      assertThat(poolTouches(db)).as("an open breaker does not touch the pool").isEqualTo(touches);

      HealthReport down = db.health();
      assertThat(down.status()).isEqualTo(HealthStatus.UNHEALTHY);
      assertThat(down.healthy()).isFalse();
      PoolHealth main = down.pools().get(PoolName.MAIN);
      assertThat(main.status()).isEqualTo(HealthStatus.UNHEALTHY);
      assertThat(main.circuitBreaker()).isEqualTo("open");
      assertThat(main.error()).contains("circuit breaker open");
      assertThat(db.pools().metrics(PoolName.MAIN).connectionErrors()).isGreaterThanOrEqualTo(1);

      proxy.restore();
      // No transaction is needed to close the breaker: once it half-opens, the health check is
      // the probe.
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
          .untilAsserted(() -> assertThat(db.health().status()).isEqualTo(HealthStatus.HEALTHY));
      assertThat(db.pools().breakerState(PoolName.MAIN)).isEqualTo("closed");
      selectOne(db);
      assertThat(db.pools().breakerState(PoolName.MAIN)).isEqualTo("closed");
    }
  }

  /** As above: only a database behind a network connection can be unreachable at start. */
  @ParameterizedTest
  @EnumSource(value = TestEngine.class, names = "POSTGRESQL")
  void a_database_down_at_start_does_not_stop_start_up_and_is_used_once_it_is_up(TestEngine engine) {
    try (TcpProxy proxy = TcpProxy.toPostgres()) {
      proxy.cut();
      try (TestDb t = TestDb.open(engine, c -> c.url(proxy.rewrite(TestDb.postgresUrl()), TestDb.postgresUser(),
              TestDb.postgresPassword())
          .poolSize(PoolName.MAIN, 1, 0).poolSize(PoolName.WORKER, 1, 0).poolSize(PoolName.ANALYTICS, 1, 0)
          .poolTimeout(PoolName.MAIN, Duration.ofMillis(500)).poolTimeout(PoolName.WORKER, Duration.ofMillis(500))
          .poolTimeout(PoolName.ANALYTICS, Duration.ofMillis(500))
          .breaker(3, Duration.ofSeconds(1)))) {
        Database db = t.db();
        assertThat(db.health().status()).isEqualTo(HealthStatus.UNHEALTHY);
        proxy.restore();
        // Start-up could not create the test's schema; the first transaction with a connection does.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
            .untilAsserted(() -> db.inTransaction(s -> s.update("CREATE TABLE late (id INT)")));
        db.inTransaction(s -> s.update("INSERT INTO late VALUES (1)"));
        assertThat(db.pools().breakerState(PoolName.MAIN)).isEqualTo("closed");
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
      assertThat(db.pools().breakerState(PoolName.MAIN)).isEqualTo("closed");
      assertThat(db.pools().metrics(PoolName.MAIN).connectionErrors()).isZero();
      selectOne(db);
    }
  }
}
