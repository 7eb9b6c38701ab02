package io.mingus.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.hibernate.exception.ConstraintViolationException;
import org.hibernate.exception.JDBCConnectionException;
import org.hibernate.exception.LockAcquisitionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

// also run through PgBouncer in transaction pooling: the pgbouncer execution of the module's pom
@org.junit.jupiter.api.Tag("pgbouncer")
class ErrorsTest {
  private static final String HIKARI_TIMEOUT =
      "mingus-main - Connection is not available, request timed out after 1000ms (total=2, active=2, idle=0, waiting=1)";

  private static Throwable failureOf(Database db, String sql) {
    return catchThrowable(() -> db.inTransaction(s -> s.update(sql)));
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void real_driver_errors_are_classified_by_their_sql_state(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      db.inTransaction(s -> s.update("CREATE TABLE e (id INT PRIMARY KEY, n INT NOT NULL)"));
      db.inTransaction(s -> s.update("INSERT INTO e VALUES (1, 1)"));

      DatabaseError unique = DatabaseErrors.classify(failureOf(db, "INSERT INTO e VALUES (1, 2)"));
      assertThat(unique.kind()).isEqualTo(ErrorKind.INTEGRITY);
      assertThat(unique.sqlState()).isEqualTo("23505");
      assertThat(unique.retryable()).isFalse();

      assertThat(DatabaseErrors.classify(failureOf(db, "INSERT INTO e VALUES (2, NULL)")).kind())
          .isEqualTo(ErrorKind.INTEGRITY);
      DatabaseError syntax = DatabaseErrors.classify(failureOf(db, "INSRT INTO e VALUES (2, 2)"));
      assertThat(syntax.kind()).isEqualTo(ErrorKind.PROGRAMMING);
      assertThat(syntax.sqlState()).startsWith("42");
      assertThat(DatabaseErrors.classify(failureOf(db, "UPDATE no_such_table SET n = 1")).kind())
          .isEqualTo(ErrorKind.PROGRAMMING);
      DatabaseError divide = DatabaseErrors.classify(failureOf(db, "UPDATE e SET n = n / 0"));
      assertThat(divide.kind()).isEqualTo(ErrorKind.DATA);
      assertThat(divide.sqlState()).isEqualTo("22012");
      assertThat(DatabaseErrors.classify(failureOf(db, "UPDATE e SET n = CAST('abc' AS INT)")).kind())
          .isEqualTo(ErrorKind.DATA);
      assertThat(db.stats().failed()).isEqualTo(6);
    }
  }

  /**
   * PostgreSQL puts the offending row values in a constraint violation's detail, which Mingus
   * keeps out of messages. H2 always names the key value in its own message, so this is checked
   * on PostgreSQL only.
   */
  @ParameterizedTest
  @EnumSource(value = TestEngine.class, names = "POSTGRESQL")
  void row_values_stay_out_of_constraint_violation_messages(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      db.inTransaction(s -> s.update("CREATE TABLE users (email VARCHAR(100) PRIMARY KEY)"));
      db.inTransaction(s -> s.update("INSERT INTO users VALUES (?)", "private.person@example.org"));
      Throwable dup = catchThrowable(() -> db.inTransaction(
          s -> s.update("INSERT INTO users VALUES (?)", "private.person@example.org")));
      assertThat(DatabaseErrors.classify(dup).kind()).isEqualTo(ErrorKind.INTEGRITY);
      for (Throwable c = dup; c != null; c = c.getCause()) {
        assertThat(c.getMessage()).doesNotContain("private.person");
      }
      assertThat(dup).hasMessageContaining("23505");
    }
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "08000, CONNECTION", "08001, CONNECTION", "08003, CONNECTION", "08006, CONNECTION", "08S01, CONNECTION",
      "57P01, CONNECTION", "57P02, CONNECTION", "57P03, CONNECTION", "40P01, DEADLOCK", "40001, SERIALIZATION",
      "57014, TIMEOUT", "23505, INTEGRITY", "23503, INTEGRITY", "22001, DATA", "42P01, PROGRAMMING",
      "42601, PROGRAMMING", "25006, PROGRAMMING", "XX000, UNKNOWN"})
  void sql_states_decide_the_kind(String sqlState, ErrorKind kind) {
    DatabaseError error = DatabaseErrors.classify(new SQLException("failure " + sqlState, sqlState));
    assertThat(error.kind()).isEqualTo(kind);
    assertThat(error.retryable()).isEqualTo(kind.retryable());
    if (kind != ErrorKind.UNKNOWN) {
      assertThat(error.sqlState()).isEqualTo(sqlState);
    }
  }

  @Test
  void an_h2_deadlock_is_a_deadlock_although_its_state_is_40001() {
    assertThat(DatabaseErrors.classify(new SQLException("Deadlock detected", "40001", 40001)).kind())
        .isEqualTo(ErrorKind.DEADLOCK);
    assertThat(DatabaseErrors.classify(new SQLException("could not serialize", "40001", 0)).kind())
        .isEqualTo(ErrorKind.SERIALIZATION);
  }

  @Test
  void exactly_the_transient_kinds_are_retryable() {
    assertThat(ErrorKind.values()).filteredOn(ErrorKind::retryable).containsExactlyInAnyOrder(ErrorKind.CONNECTION,
        ErrorKind.TIMEOUT, ErrorKind.POOL_EXHAUSTED, ErrorKind.DEADLOCK, ErrorKind.SERIALIZATION);
  }

  @Test
  void a_hikari_acquire_timeout_without_a_cause_is_pool_exhausted() {
    DatabaseError error = DatabaseErrors.classify(new SQLTransientConnectionException(HIKARI_TIMEOUT));
    assertThat(error.kind()).isEqualTo(ErrorKind.POOL_EXHAUSTED);
    assertThat(error.retryable()).isTrue();
  }

  @Test
  void a_hikari_acquire_timeout_caused_by_an_unreachable_database_is_connection() {
    SQLException refused = new SQLException("Connection to 127.0.0.1:1 refused", "08001", new ConnectException());
    var hikari = new SQLTransientConnectionException(HIKARI_TIMEOUT, "08001", refused);
    hikari.setNextException(refused);
    assertThat(DatabaseErrors.classify(hikari).kind()).isEqualTo(ErrorKind.CONNECTION);
    var withoutState = new SQLTransientConnectionException(HIKARI_TIMEOUT, null, new ConnectException("refused"));
    assertThat(DatabaseErrors.classify(withoutState).kind()).isEqualTo(ErrorKind.CONNECTION);
  }

  @Test
  void hibernate_wrappers_are_seen_through() {
    var unique = new ConstraintViolationException("could not execute statement",
        new SQLException("duplicate key", "23505"), "uk_email");
    assertThat(DatabaseErrors.classify(new jakarta.persistence.PersistenceException(unique)).kind())
        .isEqualTo(ErrorKind.INTEGRITY);
    var broken = new JDBCConnectionException("could not prepare", new SQLException("I/O error", "08006"));
    assertThat(DatabaseErrors.classify(broken).kind()).isEqualTo(ErrorKind.CONNECTION);
    var deadlock = new LockAcquisitionException("could not execute", new SQLException("deadlock detected", "40P01"));
    assertThat(DatabaseErrors.classify(new DatabaseException("update failed", deadlock)).kind())
        .isEqualTo(ErrorKind.DEADLOCK);
  }

  @Test
  void the_next_exception_chain_of_a_batch_is_walked() {
    var batch = new BatchUpdateException("Batch entry 3 was aborted", null, new int[0]);
    batch.setNextException(new SQLException("duplicate key value", "23505"));
    assertThat(DatabaseErrors.classify(batch).kind()).isEqualTo(ErrorKind.INTEGRITY);
    var withCause = new BatchUpdateException("Batch entry 0 was aborted", null, 0, new int[0],
        new IllegalStateException("driver detail"));
    withCause.setNextException(new SQLException("deadlock detected", "40P01"));
    assertThat(DatabaseErrors.classify(new DatabaseException("batch", withCause)).kind())
        .isEqualTo(ErrorKind.DEADLOCK);
  }

  @Test
  void the_sql_state_decides_before_the_exception_type() {
    var ioWrappingIntegrity = new SQLException("duplicate", "23505", new EOFException("odd driver"));
    assertThat(DatabaseErrors.classify(ioWrappingIntegrity).kind()).isEqualTo(ErrorKind.INTEGRITY);
    assertThat(DatabaseErrors.classify(new RuntimeException(
        new SQLException("An I/O error occurred", null, new SocketTimeoutException("read timed out")))).kind())
        .isEqualTo(ErrorKind.CONNECTION);
    assertThat(DatabaseErrors.classify(new java.sql.SQLTimeoutException("query timed out")).kind())
        .isEqualTo(ErrorKind.TIMEOUT);
  }

  @Test
  void commit_unknown_is_never_retryable_even_over_a_connection_cause() {
    var e = new DatabaseException("connection broke during commit", new SQLException("I/O error", "08006"),
        ErrorKind.COMMIT_UNKNOWN);
    DatabaseError error = DatabaseErrors.classify(new RuntimeException("wrapped", e));
    assertThat(error.kind()).isEqualTo(ErrorKind.COMMIT_UNKNOWN);
    assertThat(error.retryable()).isFalse();
    assertThat(DatabaseErrors.isRetryable(e)).isFalse();
  }

  @Test
  void anything_else_is_unknown_and_not_retryable() {
    assertThat(DatabaseErrors.classify(new IllegalStateException("bug")).kind()).isEqualTo(ErrorKind.UNKNOWN);
    assertThat(DatabaseErrors.classify(null).kind()).isEqualTo(ErrorKind.UNKNOWN);
    assertThat(DatabaseErrors.isRetryable(new IllegalStateException("bug"))).isFalse();
    Throwable loop = new RuntimeException("a");
    Throwable other = new RuntimeException("b", loop);
    loop.initCause(other);
    assertThat(DatabaseErrors.classify(loop).kind()).isEqualTo(ErrorKind.UNKNOWN);
  }

  @org.junit.jupiter.api.Test
  void an_io_error_without_a_driver_exception_is_not_a_database_connection_failure() {
    var gateway = new RuntimeException("SMS gateway unreachable", new ConnectException("Connection refused"));
    assertThat(DatabaseErrors.classify(gateway).kind()).isEqualTo(ErrorKind.UNKNOWN);
    var driver = new java.sql.SQLException("I/O error", null, new java.net.SocketException("reset"));
    assertThat(DatabaseErrors.classify(driver).kind()).isEqualTo(ErrorKind.CONNECTION);
  }

  @org.junit.jupiter.api.Test
  void an_h2_lock_timeout_is_a_retryable_timeout() {
    var lock = new java.sql.SQLException("Timeout trying to lock table", "50200");
    assertThat(DatabaseErrors.classify(lock).kind()).isEqualTo(ErrorKind.TIMEOUT);
    assertThat(DatabaseErrors.isRetryable(lock)).isTrue();
  }
}
