package io.mingus.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Connections on demand, at most pool_size idle, and the pools of each process role. */
class RolesTest {

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_process_that_has_just_started_holds_no_pool_connection(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      for (PoolMetrics m : t.db().pools().metrics().values()) {
        assertThat(m.total()).as("open connections of pool %s", m.pool().label()).isZero();
      }
      if (engine == TestEngine.POSTGRESQL) {
        Optional<Integer> one = t.db().fromTransaction(s -> s.queryOne("SELECT 1", rs -> rs.getInt(1)));
        assertThat(one).contains(1);
        assertThat(t.db().pools().metrics(PoolName.MAIN).total()).as("the start-up check's connection was not pooled")
            .isEqualTo(1);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_pool_opens_connections_as_they_are_used_and_keeps_at_most_pool_size_idle(TestEngine engine)
      throws Exception {
    try (TestDb t = TestDb.open(engine, c -> c.poolSize(PoolName.MAIN, 2, 3));
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      Database db = t.db();
      db.inTransaction(s -> s.queryOne("SELECT 1", rs -> rs.getInt(1)));
      assertThat(db.pools().metrics(PoolName.MAIN).total()).as("one transaction, one connection").isEqualTo(1);

      CountDownLatch release = new CountDownLatch(1);
      List<Future<?>> held = PoolsTest.holders(db, threads, 5, release);
      PoolMetrics busy = db.pools().metrics(PoolName.MAIN);
      assertThat(busy.total()).isEqualTo(5);
      assertThat(busy.overflow()).isEqualTo(3);
      release.countDown();
      for (Future<?> f : held) {
        f.get(20, TimeUnit.SECONDS);
      }
      // the three returned above pool_size are closed, as SQLAlchemy closes its overflow
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        PoolMetrics m = db.pools().metrics(PoolName.MAIN);
        assertThat(m.total()).isEqualTo(2);
        assertThat(m.checkedIn()).isEqualTo(2);
      });
      for (int i = 0; i < 5; i++) {
        db.inTransaction(s -> s.queryOne("SELECT 1", rs -> rs.getInt(1)));
      }
      assertThat(db.pools().metrics(PoolName.MAIN).total()).as("the kept ones are reused").isEqualTo(2);
      assertThat(db.pools().metrics(PoolName.WORKER).total()).as("an unused pool stays empty").isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_worker_process_has_no_analytics_pool_and_opens_main_only_when_asked(TestEngine engine) {
    try (TestDb t = TestDb.open(engine, c -> c, b -> b.role(ProcessRole.WORKER))) {
      Database db = t.db();
      assertThat(db.role()).isEqualTo(ProcessRole.WORKER);
      assertThat(db.pools().names()).containsExactly(PoolName.MAIN, PoolName.WORKER);
      Throwable refused = catchThrowable(() -> db.inTransaction(TransactionOptions.analytics("report"), s -> { }));
      assertThat(refused).isInstanceOf(DatabaseException.class)
          .hasMessageContaining("pool 'analytics' is not open in this process")
          .hasMessageContaining("role, worker, has only main and worker");
      assertThat(DatabaseErrors.classify(refused).kind()).isEqualTo(ErrorKind.PROGRAMMING);

      db.inTransaction(TransactionOptions.named("claim").withPool(PoolName.WORKER), s -> s.queryOne("SELECT 1",
          rs -> rs.getInt(1)));
      HealthReport report = db.health();
      assertThat(report.pools()).as("main is not probed before a task uses it").containsOnlyKeys(PoolName.WORKER);
      assertThat(db.pools().metrics(PoolName.MAIN).total()).isZero();

      db.inTransaction(TransactionOptions.named("task-on-main"), s -> s.queryOne("SELECT 1", rs -> rs.getInt(1)));
      assertThat(db.health().pools()).containsOnlyKeys(PoolName.MAIN, PoolName.WORKER);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_web_process_has_no_worker_pool(TestEngine engine) {
    try (TestDb t = TestDb.open(engine, c -> c, b -> b.role(ProcessRole.WEB))) {
      Database db = t.db();
      assertThat(db.pools().names()).isEqualTo(Set.of(PoolName.MAIN, PoolName.ANALYTICS));
      assertThat(db.pools().metrics()).containsOnlyKeys(PoolName.MAIN, PoolName.ANALYTICS);
      assertThatThrownBy(() -> db.pools().dataSource(PoolName.WORKER))
          .hasMessageContaining("pool 'worker' is not open in this process")
          .hasMessageContaining("role, web, has only main and analytics");
      assertThat(db.pools().config(PoolName.WORKER).maxSize()).as("its settings are still readable").isEqualTo(4);
      assertThat(db.health().pools()).containsOnlyKeys(PoolName.MAIN, PoolName.ANALYTICS);
      Optional<Integer> one = db.fromTransaction(TransactionOptions.analytics("report"),
          s -> s.queryOne("SELECT 1", rs -> rs.getInt(1)));
      assertThat(one).contains(1);
    }
  }

  /** What PostgreSQL itself sees: the sessions of this database's pools, by their backend pids. */
  @ParameterizedTest
  @EnumSource(value = TestEngine.class, names = "POSTGRESQL")
  void postgresql_sees_only_the_connections_in_use_and_pool_size_kept(TestEngine engine) throws Exception {
    try (TestDb t = TestDb.open(engine, c -> c.poolSize(PoolName.WORKER, 1, 5));
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      Database db = t.db();
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch holding = new CountDownLatch(4);
      List<Integer> pids = java.util.Collections.synchronizedList(new ArrayList<>());
      List<Future<?>> held = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        held.add(threads.submit(() -> {
          db.inTransaction(TransactionOptions.named("hold").withPool(PoolName.WORKER), s -> {
            pids.add(s.queryOne("SELECT pg_backend_pid()", rs -> rs.getInt(1)).orElseThrow());
            holding.countDown();
            release.await(30, TimeUnit.SECONDS);
          });
          return null;
        }));
      }
      assertThat(holding.await(20, TimeUnit.SECONDS)).isTrue();
      assertThat(alive(t, pids)).isEqualTo(4);
      release.countDown();
      for (Future<?> f : held) {
        f.get(20, TimeUnit.SECONDS);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> alive(t, pids) == 1);
    }
  }

  private static int alive(TestDb t, List<Integer> pids) throws Exception {
    try (Connection c = t.rawConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE pid IN ("
            + String.join(",", pids.stream().map(String::valueOf).toList()) + ")")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
