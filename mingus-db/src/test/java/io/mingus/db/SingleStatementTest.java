package io.mingus.db;

import static io.mingus.db.TransactionsTest.count;
import static io.mingus.db.TransactionsTest.createTable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link TransactionOptions#withSingleStatement}: a transaction of one statement runs it in
 * auto-commit, without BEGIN and COMMIT, and otherwise behaves as a transaction: hooks, joining,
 * failures. Behind PgBouncer with a schema the setting is ignored (the schema is set per
 * transaction), so there every test sees an ordinary transaction.
 */
@Tag("pgbouncer")
class SingleStatementTest {
  private static final TransactionOptions SINGLE = TransactionOptions.named("single").withSingleStatement(true);

  /** Whether {@code db} honours the setting: not behind PgBouncer, where the schema needs a transaction. */
  private static boolean autoCommits(Database db) {
    return !db.config().pgbouncer();
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void the_statement_commits_by_itself_and_the_hooks_run(TestEngine engine) throws SQLException {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      createTable(db);
      List<String> events = new ArrayList<>();
      long committedBefore = db.stats().committed();
      boolean autoCommit = db.fromTransaction(SINGLE, s -> {
        s.update("INSERT INTO items VALUES (1, 'a')");
        s.afterCommit(() -> events.add("committed"));
        s.afterRollback(() -> events.add("rolled back"));
        return s.connection().getAutoCommit();
      });
      assertThat(autoCommit).isEqualTo(autoCommits(db));
      assertThat(count(db, "id = 1")).isEqualTo(1);
      assertThat(events).containsExactly("committed");
      assertThat(db.stats().committed()).isEqualTo(committedBefore + 2);
      assertThat(db.stats().active()).isZero();
      // the connection went back as the pool lends it: the next transaction is an ordinary one
      boolean next = db.fromTransaction(s -> s.connection().getAutoCommit());
      assertThat(next).isFalse();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_failing_statement_changes_nothing_and_runs_the_rollback_hooks(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      createTable(db);
      db.inTransaction(s -> s.update("INSERT INTO items VALUES (1, 'a')"));
      List<String> events = new ArrayList<>();
      assertThatThrownBy(() -> db.inTransaction(SINGLE, s -> {
        s.afterCommit(() -> events.add("committed"));
        s.afterRollback(() -> events.add("rolled back"));
        s.update("INSERT INTO items VALUES (2, 'b'), (1, 'duplicate')");
      })).isInstanceOf(DatabaseException.class);
      assertThat(count(db, "1 = 1")).isEqualTo(1);
      assertThat(events).containsExactly("rolled back");
      // the connection is fine for the next transaction
      db.inTransaction(SINGLE, s -> s.update("INSERT INTO items VALUES (3, 'c')"));
      assertThat(count(db, "1 = 1")).isEqualTo(2);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void it_joins_the_callers_transaction_and_rolls_back_with_it(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      createTable(db);
      assertThatThrownBy(() -> db.inTransaction(outer -> {
        db.inTransaction(SINGLE, inner -> {
          assertThat(inner.connection().getAutoCommit()).isFalse();
          inner.update("INSERT INTO items VALUES (1, 'joined')");
        });
        throw new IllegalStateException("the caller fails after the joined statement");
      })).isInstanceOf(IllegalStateException.class);
      assertThat(count(db, "1 = 1")).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void nested_blocks_and_hibernate_need_a_transaction_and_say_so(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      assumeThat(autoCommits(db)).as("an ordinary transaction behind PgBouncer").isTrue();
      createTable(db);
      assertThatThrownBy(() -> db.inTransaction(SINGLE, s -> db.inTransaction(
          TransactionOptions.named("inner").withPropagation(Propagation.NESTED), inner -> { })))
          .isInstanceOf(DatabaseException.class)
          .hasMessageContaining("a NESTED block needs a transaction")
          .hasMessageContaining("'single'")
          .hasMessageContaining("withSingleStatement");
      assertThatThrownBy(() -> db.inTransaction(SINGLE, s -> s.orm()))
          .isInstanceOf(DatabaseException.class)
          .hasMessageContaining("Hibernate session (orm()) needs a transaction");
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void settings_that_hold_only_inside_a_transaction_keep_one(TestEngine engine) throws SQLException {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      boolean readOnly = db.fromTransaction(SINGLE.withReadOnly(true), s -> s.connection().getAutoCommit());
      boolean serializable = db.fromTransaction(SINGLE.withIsolation(Isolation.SERIALIZABLE),
          s -> s.connection().getAutoCommit());
      assertThat(readOnly).isFalse();
      assertThat(serializable).isFalse();
      boolean withTimeout = db.fromTransaction(SINGLE.withTimeout(Duration.ofSeconds(5)),
          s -> s.connection().getAutoCommit());
      // PostgreSQL sets the timeout with SET LOCAL, which holds only in a transaction; H2's is a session setting
      assertThat(withTimeout).isEqualTo(engine == TestEngine.H2);
    }
  }

  @Test
  void a_connection_lost_during_the_statement_leaves_the_outcome_unknown_and_is_not_retried() {
    try (TestDb t = TestDb.open(TestEngine.POSTGRESQL)) {
      Database db = t.db();
      assumeThat(autoCommits(db)).as("an ordinary transaction behind PgBouncer").isTrue();
      int[] attempts = {0};
      assertThatThrownBy(() -> db.inTransaction(SINGLE.withRetry(RetryPolicy.defaults()), s -> {
        attempts[0]++;
        s.query("SELECT pg_terminate_backend(pg_backend_pid())", rs -> rs.getBoolean(1));
      }))
          .isInstanceOf(DatabaseException.class)
          .satisfies(e -> assertThat(((DatabaseException) e).kind()).isEqualTo(ErrorKind.COMMIT_UNKNOWN))
          .hasMessageContaining("single-statement transaction 'single'")
          .hasMessageContaining("may or may not have committed");
      assertThat(attempts[0]).isEqualTo(1);
      // the pool replaced the connection
      int one = db.fromTransaction(SINGLE, s -> s.queryOne("SELECT 1", rs -> rs.getInt(1)).orElseThrow());
      assertThat(one).isEqualTo(1);
    }
  }
}
