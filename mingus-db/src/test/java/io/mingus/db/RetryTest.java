package io.mingus.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import ch.qos.logback.classic.Level;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

// also run through PgBouncer in transaction pooling: the pgbouncer execution of the module's pom
@org.junit.jupiter.api.Tag("pgbouncer")
class RetryTest {
  private static final RetryPolicy FAST = new RetryPolicy(5, Duration.ofMillis(5), Duration.ofMillis(50),
      Duration.ofSeconds(30));

  @Test
  void the_ceiling_doubles_from_the_base_delay_up_to_the_cap() {
    RetryPolicy p = new RetryPolicy(10, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofMinutes(1));
    assertThat(p.ceiling(1)).isEqualTo(Duration.ofMillis(100));
    assertThat(p.ceiling(2)).isEqualTo(Duration.ofMillis(200));
    assertThat(p.ceiling(4)).isEqualTo(Duration.ofMillis(800));
    assertThat(p.ceiling(5)).isEqualTo(Duration.ofSeconds(1));
    assertThat(p.ceiling(64)).isEqualTo(Duration.ofSeconds(1));
    assertThat(p.ceiling(Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void full_jitter_keeps_every_delay_between_zero_and_the_ceiling() {
    RetryPolicy p = RetryPolicy.defaults();
    Random random = new Random(42);
    for (int retry = 1; retry <= 12; retry++) {
      Duration ceiling = p.ceiling(retry);
      assertThat(ceiling).isEqualTo(min(p.maxDelay(), p.baseDelay().multipliedBy(1L << (retry - 1))));
      long below = 0;
      for (int i = 0; i < 200; i++) {
        Duration d = p.delay(retry, random::nextDouble);
        assertThat(d).isBetween(Duration.ZERO, ceiling);
        below += d.compareTo(ceiling.dividedBy(2)) < 0 ? 1 : 0;
      }
      assertThat(below).as("jitter spreads delays over the whole range").isBetween(50L, 150L);
      assertThat(p.delay(retry, () -> 0.0)).isEqualTo(Duration.ZERO);
      assertThat(p.delay(retry, () -> 0.999999)).isLessThanOrEqualTo(ceiling);
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  @Test
  void bad_policies_are_refused() {
    Duration s = Duration.ofSeconds(1);
    assertThatThrownBy(() -> new RetryPolicy(0, s, s, s)).hasMessageContaining("maxAttempts must be at least 1, was 0");
    assertThatThrownBy(() -> new RetryPolicy(3, Duration.ZERO, s, s)).hasMessageContaining("baseDelay must be positive");
    assertThatThrownBy(() -> new RetryPolicy(3, s, Duration.ofMillis(10), s))
        .hasMessageContaining("must be at least baseDelay");
    assertThatThrownBy(() -> new RetryPolicy(3, s, s, Duration.ofSeconds(-1))).hasMessageContaining("deadline");
    assertThatThrownBy(() -> RetryPolicy.defaults().ceiling(0)).isInstanceOf(IllegalArgumentException.class);
    assertThat(RetryPolicy.of(4, s).maxAttempts()).isEqualTo(4);
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_retryable_failure_is_retried_until_the_attempt_cap(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      AtomicInteger runs = new AtomicInteger();
      Throwable thrown = catchThrowable(() -> db.inTransaction(TransactionOptions.named("always-deadlocks")
          .withRetry(FAST.withMaxAttempts(3)), s -> {
            runs.incrementAndGet();
            throw new SQLException("deadlock detected", "40P01");
          }));
      assertThat(thrown).isInstanceOf(SQLException.class);
      assertThat(runs).hasValue(3);
      assertThat(db.stats().retries()).isEqualTo(2);
      assertThat(db.stats().rollbacks()).isEqualTo(3);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void no_retry_starts_after_the_deadline(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      AtomicInteger runs = new AtomicInteger();
      assertThatThrownBy(() -> t.db().inTransaction(TransactionOptions.named("late")
          .withRetry(FAST.withDeadline(Duration.ofNanos(1))), s -> {
            runs.incrementAndGet();
            throw new SQLException("deadlock detected", "40P01");
          })).isInstanceOf(SQLException.class);
      assertThat(runs).hasValue(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void integrity_errors_are_never_retried(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      db.inTransaction(s -> s.update("CREATE TABLE items (id INT PRIMARY KEY)"));
      db.inTransaction(s -> s.update("INSERT INTO items VALUES (1)"));
      AtomicInteger runs = new AtomicInteger();
      Throwable thrown = catchThrowable(() -> db.inTransaction(TransactionOptions.named("dup").withRetry(FAST), s -> {
        runs.incrementAndGet();
        s.update("INSERT INTO items VALUES (1)");
      }));
      assertThat(DatabaseErrors.classify(thrown).kind()).isEqualTo(ErrorKind.INTEGRITY);
      assertThat(runs).hasValue(1);
      assertThat(db.stats().retries()).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void only_the_outermost_transaction_is_retried(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      AtomicInteger inner = new AtomicInteger();
      assertThatThrownBy(() -> db.inTransaction(outer -> db.inTransaction(
          TransactionOptions.named("inner").withRetry(FAST), s -> {
            inner.incrementAndGet();
            throw new SQLException("could not serialize", "40001");
          }))).isInstanceOf(SQLException.class);
      assertThat(inner).hasValue(1);
      assertThat(db.stats().retries()).isZero();
    }
  }

  /**
   * Two transactions lock two rows in opposite orders. The database aborts one of them (40P01 on
   * PostgreSQL, H2's "Deadlock detected"), which is retried as a whole and then succeeds.
   */
  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_real_deadlock_is_retried_to_success(TestEngine engine) throws Exception {
    try (TestDb t = TestDb.open(engine); LogCapture logs = LogCapture.of(Level.WARN, "io.mingus.db.transactions");
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      Database db = t.db();
      db.inTransaction(s -> s.update("CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL)"));
      db.inTransaction(s -> s.update("INSERT INTO accounts VALUES (1, 100), (2, 100)"));
      CyclicBarrier bothHoldOneRow = new CyclicBarrier(2);
      AtomicInteger attempts = new AtomicInteger();
      List<Future<?>> transfers = new ArrayList<>();
      for (int[] order : new int[][] {{1, 2}, {2, 1}}) {
        AtomicInteger mine = new AtomicInteger();
        transfers.add(threads.submit(() -> {
          db.inTransaction(TransactionOptions.named("transfer-" + order[0] + "-" + order[1]).withRetry(FAST), s -> {
            attempts.incrementAndGet();
            s.update("UPDATE accounts SET balance = balance - 10 WHERE id = ?", order[0]);
            if (mine.incrementAndGet() == 1) {
              bothHoldOneRow.await(20, TimeUnit.SECONDS);
            }
            s.update("UPDATE accounts SET balance = balance + 10 WHERE id = ?", order[1]);
          });
          return null;
        }));
      }
      for (Future<?> f : transfers) {
        f.get(60, TimeUnit.SECONDS);
      }
      assertThat(db.stats().retries()).isGreaterThanOrEqualTo(1);
      assertThat(attempts.get()).isGreaterThanOrEqualTo(3);
      List<Integer> balances = db.fromTransaction(s -> s.query("SELECT balance FROM accounts ORDER BY id",
          rs -> rs.getInt(1)));
      assertThat(balances).containsExactly(100, 100);
      assertThat(logs.messages(Level.WARN)).anySatisfy(m -> assertThat(m).contains("failed (DEADLOCK, attempt 1"));
    }
  }

  /** Only PostgreSQL has a server backend to kill; an in-memory H2 runs inside this JVM. */
  @ParameterizedTest
  @EnumSource(value = TestEngine.class, names = "POSTGRESQL")
  void a_backend_killed_mid_transaction_is_a_connection_failure_and_is_retried(TestEngine engine) throws Exception {
    try (TestDb t = TestDb.open(engine); LogCapture logs = LogCapture.of(Level.WARN, "io.mingus.db.transactions")) {
      Database db = t.db();
      db.inTransaction(s -> s.update("CREATE TABLE items (id INT PRIMARY KEY)"));
      AtomicInteger runs = new AtomicInteger();
      db.inTransaction(TransactionOptions.named("killed").withRetry(FAST), s -> {
        int run = runs.incrementAndGet();
        s.update("INSERT INTO items VALUES (?)", run);
        if (run == 1) {
          terminate(t, s.queryOne("SELECT pg_backend_pid()", rs -> rs.getInt(1)).orElseThrow());
          s.update("INSERT INTO items VALUES (100)");
        }
      });
      assertThat(runs).hasValue(2);
      assertThat(db.stats().retries()).isEqualTo(1);
      assertThat(logs.messages(Level.WARN)).anySatisfy(m -> assertThat(m).contains("failed (CONNECTION, attempt 1"));
      List<Integer> ids = db.fromTransaction(s -> s.query("SELECT id FROM items", rs -> rs.getInt(1)));
      assertThat(ids).containsExactly(2);
      assertThat(db.pools().metrics(PoolName.MAIN).connectionErrors()).isEqualTo(1);
    }
  }

  /** Only PostgreSQL has a server backend to kill; an in-memory H2 runs inside this JVM. */
  @ParameterizedTest
  @EnumSource(value = TestEngine.class, names = "POSTGRESQL")
  void a_connection_lost_at_commit_is_commit_unknown_and_not_retried(TestEngine engine) throws Exception {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      db.inTransaction(s -> s.update("CREATE TABLE items (id INT PRIMARY KEY)"));
      AtomicInteger runs = new AtomicInteger();
      Throwable thrown = catchThrowable(() -> db.inTransaction(TransactionOptions.named("lost-commit").withRetry(FAST),
          s -> {
            runs.incrementAndGet();
            s.update("INSERT INTO items VALUES (1)");
            terminate(t, s.queryOne("SELECT pg_backend_pid()", rs -> rs.getInt(1)).orElseThrow());
          }));
      assertThat(thrown).isInstanceOf(DatabaseException.class).hasMessageContaining("lost-commit")
          .hasMessageContaining("may or may not have committed");
      assertThat(DatabaseErrors.classify(thrown).kind()).isEqualTo(ErrorKind.COMMIT_UNKNOWN);
      assertThat(runs).hasValue(1);
      assertThat(db.stats().retries()).isZero();
    }
  }

  /** Only PostgreSQL has a server backend to kill; an in-memory H2 runs inside this JVM. */
  @ParameterizedTest
  @EnumSource(value = TestEngine.class, names = "POSTGRESQL")
  void a_read_only_transaction_whose_connection_is_lost_at_commit_is_retried(TestEngine engine) throws Exception {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      AtomicInteger runs = new AtomicInteger();
      int answer = db.fromTransaction(TransactionOptions.named("lost-read").withReadOnly(true).withRetry(FAST), s -> {
        if (runs.incrementAndGet() == 1) {
          terminate(t, s.queryOne("SELECT pg_backend_pid()", rs -> rs.getInt(1)).orElseThrow());
        }
        return s.queryOne("SELECT 42", rs -> rs.getInt(1)).orElseThrow();
      });
      assertThat(answer).isEqualTo(42);
      assertThat(runs).hasValue(2);
      assertThat(db.stats().retries()).isEqualTo(1);
    }
  }

  /**
   * Hibernate's {@code find} answers {@code null} instead of throwing when a statement failed on a
   * broken connection and the transaction is rollback-only: without a guard the work would go on
   * with a wrong "not found". Only PostgreSQL has a backend to kill.
   */
  @ParameterizedTest
  @EnumSource(value = TestEngine.class, names = "POSTGRESQL")
  void a_find_on_a_terminated_connection_is_retried_not_answered_not_found(TestEngine engine) throws Exception {
    try (TestDb t = TestDb.open(engine, c -> c, b -> b.entities(Note.class))) {
      Database db = t.db();
      db.inTransaction(s -> s.update(Note.DDL));
      db.inTransaction(s -> s.orm().persist(new Note(7, "kept")));
      AtomicInteger runs = new AtomicInteger();
      List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
      String body = db.fromTransaction(TransactionOptions.named("find-note").withRetry(FAST), s -> {
        if (runs.incrementAndGet() == 1) {
          terminate(t, s.queryOne("SELECT pg_backend_pid()", rs -> rs.getInt(1)).orElseThrow());
        }
        Note n = s.orm().find(Note.class, 7L);
        seen.add(n == null ? "null" : n.body());
        if (n == null) {
          throw new IllegalStateException("note 7 not found");
        }
        return n.body();
      });
      assertThat(body).isEqualTo("kept");
      assertThat(runs).as("runs (find answered: %s)", seen).hasValue(2);
    }
  }

  private static void terminate(TestDb t, int pid) throws SQLException {
    try (Connection raw = t.rawConnection();
        PreparedStatement ps = raw.prepareStatement("SELECT pg_terminate_backend(?, 5000)")) {
      ps.setInt(1, pid);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        assertThat(rs.getBoolean(1)).as("backend %d terminated", pid).isTrue();
      }
    }
  }
}
