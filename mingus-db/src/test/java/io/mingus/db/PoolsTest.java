package io.mingus.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

// also run through PgBouncer in transaction pooling: the pgbouncer execution of the module's pom
@org.junit.jupiter.api.Tag("pgbouncer")
class PoolsTest {

  /** Starts {@code n} transactions on other threads that hold their connections until {@code release}. */
  static List<Future<?>> holders(Database db, ExecutorService threads, int n, CountDownLatch release)
      throws InterruptedException {
    CountDownLatch holding = new CountDownLatch(n);
    List<Future<?>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int id = i;
      futures.add(threads.submit(() -> {
        db.inTransaction(TransactionOptions.named("holder-" + id), s -> {
          s.queryOne("SELECT 1", rs -> rs.getInt(1));
          holding.countDown();
          release.await(30, TimeUnit.SECONDS);
        });
        return null;
      }));
    }
    assertThat(holding.await(20, TimeUnit.SECONDS)).as("all holders got a connection").isTrue();
    return futures;
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_third_caller_of_an_exhausted_pool_of_two_fails_after_the_pool_timeout(TestEngine engine) throws Exception {
    try (TestDb t = TestDb.open(engine, c -> c.poolSize(PoolName.MAIN, 2, 0)
            .poolTimeout(PoolName.MAIN, Duration.ofSeconds(1)));
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      Database db = t.db();
      CountDownLatch release = new CountDownLatch(1);
      List<Future<?>> held = holders(db, threads, 2, release);
      try {
        long start = System.nanoTime();
        Throwable thrown = assertTimeoutPreemptively(Duration.ofSeconds(20),
            () -> catchThrowable(() -> db.inTransaction(TransactionOptions.named("third"), s -> { })));
        Duration waited = Duration.ofNanos(System.nanoTime() - start);
        assertThat(thrown).isInstanceOf(PoolExhaustedException.class)
            .hasMessageContaining("pool 'main'")
            .hasMessageContaining("transaction 'third'")
            .hasMessageContaining("within 1000 ms")
            .hasMessageContaining("2 of 2 connections in use")
            .hasMessageContaining("DB_POOL_SIZE")
            .hasMessageContaining("DB_MAX_OVERFLOW")
            .hasMessageContaining("DB_LEAK_DETECTION_MS");
        assertThat(((PoolExhaustedException) thrown).pool()).isEqualTo(PoolName.MAIN);
        assertThat(DatabaseErrors.classify(thrown).kind()).isEqualTo(ErrorKind.POOL_EXHAUSTED);
        assertThat(waited).as("it waited for the pool timeout").isGreaterThanOrEqualTo(Duration.ofMillis(900));
        PoolMetrics m = db.pools().metrics(PoolName.MAIN);
        assertThat(m.timeouts()).isEqualTo(1);
        assertThat(m.checkedOut()).isEqualTo(2);
        assertThat(m.utilization()).isEqualTo(1.0);

        PoolHealth busy = db.health().pools().get(PoolName.MAIN);
        assertThat(busy.status()).as("a full pool is degraded, not down").isEqualTo(HealthStatus.DEGRADED);
        assertThat(busy.error()).contains("2 of 2 in use");
        assertThat(db.pools().breakerState(PoolName.MAIN)).isEqualTo(BreakerState.CLOSED);
      } finally {
        release.countDown();
      }
      for (Future<?> f : held) {
        f.get(20, TimeUnit.SECONDS);
      }
      assertThat(db.pools().metrics(PoolName.MAIN).checkedOut()).isZero();
      assertThat(db.pools().performance().totalTimeouts()).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void requires_new_on_the_testing_pool_of_one_fails_at_once_instead_of_deadlocking(TestEngine engine) {
    try (TestDb t = TestDb.open(engine, c -> c.poolSize(PoolName.MAIN, 1, 0)
        .poolTimeout(PoolName.MAIN, Duration.ofSeconds(30)))) {
      Database db = t.db();
      db.inTransaction(s -> s.update("CREATE TABLE items (id INT PRIMARY KEY)"));
      assertTimeoutPreemptively(Duration.ofSeconds(10), () -> db.inTransaction(TransactionOptions.named("outer"), s -> {
        s.update("INSERT INTO items VALUES (1)");
        Throwable thrown = catchThrowable(() -> db.inTransaction(
            TransactionOptions.named("audit").withPropagation(Propagation.REQUIRES_NEW),
            inner -> inner.update("INSERT INTO items VALUES (2)")));
        assertThat(thrown).isInstanceOf(PoolExhaustedException.class)
            .hasMessageContaining("transaction 'audit'")
            .hasMessageContaining("pool 'main'")
            .hasMessageContaining("already holds 1 of the pool's 1")
            .hasMessageContaining("deadlock")
            .hasMessageContaining("REQUIRES_NEW")
            .hasMessageContaining("DB_MAX_OVERFLOW");
        s.update("INSERT INTO items VALUES (3)");
      }));
      List<Integer> ids = db.fromTransaction(s -> s.query("SELECT id FROM items ORDER BY id", rs -> rs.getInt(1)));
      assertThat(ids).as("the caller caught the refusal and went on").containsExactly(1, 3);
      assertThat(db.pools().metrics(PoolName.MAIN).timeouts()).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void requires_new_on_another_pool_is_not_refused(TestEngine engine) {
    try (TestDb t = TestDb.open(engine, c -> c.poolSize(PoolName.MAIN, 1, 0).poolSize(PoolName.WORKER, 1, 0))) {
      Database db = t.db();
      String pools = db.fromTransaction(s -> s.pool().label() + "+" + db.fromTransaction(
          TransactionOptions.named("task").withPool(PoolName.WORKER).withPropagation(Propagation.REQUIRES_NEW),
          inner -> inner.pool().label()));
      assertThat(pools).isEqualTo("main+worker");
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void ten_thousand_virtual_threads_share_a_pool_of_ten_without_error_or_leak(TestEngine engine) throws Exception {
    try (TestDb t = TestDb.open(engine, c -> c.poolSize(PoolName.MAIN, 10, 0)
        .poolSize(PoolName.WORKER, 1, 0).poolSize(PoolName.ANALYTICS, 1, 0)
        // 10,000 callers queue for 10 connections: the last one waits for nearly all the others,
        // which takes seconds here and may take a minute on a loaded CI machine.
        .poolTimeout(PoolName.MAIN, Duration.ofMinutes(5)))) {
      Database db = t.db();
      db.inTransaction(s -> s.update("CREATE TABLE hits (id INT PRIMARY KEY)"));
      long before = db.stats().committed();
      int n = 10_000;
      List<Future<?>> futures = new ArrayList<>(n);
      try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int i = 0; i < n; i++) {
          int id = i;
          futures.add(threads.submit(() -> {
            db.inTransaction(TransactionOptions.named("hit"), s -> s.update("INSERT INTO hits VALUES (?)", id));
            return null;
          }));
        }
        for (Future<?> f : futures) {
          f.get(5, TimeUnit.MINUTES);
        }
      }
      long rows = db.fromTransaction(s -> s.queryOne("SELECT count(*) FROM hits", rs -> rs.getLong(1)).orElseThrow());
      assertThat(rows).isEqualTo(n);
      assertThat(db.openTransactions()).isEmpty();
      assertThat(db.stats().committed() - before).isEqualTo(n + 1);
      assertThat(db.stats().active()).isZero();
      assertThat(db.stats().failed()).isZero();
      PoolMetrics m = db.pools().metrics(PoolName.MAIN);
      assertThat(m.checkedOut()).isZero();
      assertThat(m.total()).isLessThanOrEqualTo(10);
      assertThat(m.timeouts()).isZero();
      assertThat(m.checkouts()).isGreaterThanOrEqualTo(n);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void resize_changes_the_maximum_but_never_below_pool_size(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      db.pools().resize(PoolName.MAIN, 7);
      assertThat(db.pools().metrics(PoolName.MAIN).maxSize()).isEqualTo(7);
      assertThatThrownBy(() -> db.pools().resize(PoolName.MAIN, 3))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pool_size is 4");
    }
  }
}
