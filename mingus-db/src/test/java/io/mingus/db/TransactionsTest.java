package io.mingus.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

// also run through PgBouncer in transaction pooling: the pgbouncer execution of the module's pom
@org.junit.jupiter.api.Tag("pgbouncer")
class TransactionsTest {

  static void createTable(Database db) {
    db.inTransaction(s -> s.update("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(100))"));
  }

  static long count(Database db, String where) {
    return db.fromTransaction(s -> s.queryOne("SELECT count(*) FROM items WHERE " + where, rs -> rs.getLong(1))
        .orElseThrow());
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void work_that_returns_is_committed(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      createTable(db);
      int rows = db.fromTransaction(s -> s.update("INSERT INTO items VALUES (1, 'a')"));
      assertThat(rows).isEqualTo(1);
      assertThat(count(db, "id = 1")).isEqualTo(1);
      assertThat(db.stats().committed()).isGreaterThanOrEqualTo(2);
      assertThat(db.stats().active()).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void work_that_throws_is_rolled_back_and_the_same_exception_is_rethrown(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      createTable(db);
      var boom = new java.io.IOException("boom");
      assertThatThrownBy(() -> db.inTransaction(s -> {
        s.update("INSERT INTO items VALUES (1, 'a')");
        throw boom;
      })).isSameAs(boom);
      assertThat(count(db, "1 = 1")).isZero();
      assertThat(db.stats().failed()).isEqualTo(1);
      assertThat(db.stats().rollbacks()).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void required_joins_the_callers_transaction(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      createTable(db);
      db.inTransaction(outer -> {
        outer.update("INSERT INTO items VALUES (1, 'outer')");
        db.inTransaction(inner -> {
          assertThat(inner.connection()).isSameAs(outer.connection());
          inner.update("INSERT INTO items VALUES (2, 'inner')");
        });
      });
      assertThat(count(db, "1 = 1")).isEqualTo(2);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_caught_failure_of_a_joined_block_still_rolls_back_the_whole_transaction(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      createTable(db);
      assertThatThrownBy(() -> db.inTransaction(outer -> {
        outer.update("INSERT INTO items VALUES (1, 'outer')");
        try {
          db.inTransaction(inner -> {
            throw new IllegalStateException("inner failed");
          });
        } catch (IllegalStateException expected) {
          // the caller goes on, but the transaction is doomed
        }
      })).isInstanceOf(DatabaseException.class).hasMessageContaining("rollback-only").hasMessageContaining("NESTED");
      assertThat(count(db, "1 = 1")).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void requires_new_commits_on_its_own_even_when_the_caller_rolls_back(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      createTable(db);
      assertThatThrownBy(() -> db.inTransaction(outer -> {
        outer.update("INSERT INTO items VALUES (1, 'outer')");
        db.inTransaction(TransactionOptions.named("audit").withPropagation(Propagation.REQUIRES_NEW), inner -> {
          assertThat(inner.connection()).isNotSameAs(outer.connection());
          inner.update("INSERT INTO items VALUES (2, 'independent')");
        });
        throw new IllegalStateException("outer fails after the inner committed");
      })).isInstanceOf(IllegalStateException.class);
      assertThat(count(db, "id = 2")).isEqualTo(1);
      assertThat(count(db, "id = 1")).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void nested_failure_rolls_back_only_the_savepoint(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      createTable(db);
      List<String> hooks = new ArrayList<>();
      db.inTransaction(outer -> {
        outer.update("INSERT INTO items VALUES (1, 'before')");
        try {
          db.inTransaction(TransactionOptions.named("inner").withPropagation(Propagation.NESTED), inner -> {
            inner.afterCommit(() -> hooks.add("inner-commit"));
            inner.afterRollback(() -> hooks.add("inner-rollback"));
            inner.update("INSERT INTO items VALUES (2, 'inner')");
            inner.update("INSERT INTO items VALUES (1, 'duplicate key')");
          });
        } catch (DatabaseException e) {
          assertThat(DatabaseErrors.classify(e).kind()).isEqualTo(ErrorKind.INTEGRITY);
        }
        outer.update("INSERT INTO items VALUES (3, 'after')");
      });
      assertThat(count(db, "1 = 1")).isEqualTo(2);
      assertThat(count(db, "id = 2")).isZero();
      assertThat(hooks).containsExactly("inner-rollback");
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void after_commit_hooks_run_after_the_connection_is_back(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      createTable(db);
      List<Integer> activeDuringHook = new ArrayList<>();
      db.inTransaction(s -> {
        s.update("INSERT INTO items VALUES (1, 'a')");
        s.afterCommit(() -> activeDuringHook.add(db.pools().metrics(PoolName.MAIN).checkedOut()));
        s.afterRollback(() -> activeDuringHook.add(-1));
      });
      assertThat(activeDuringHook).containsExactly(0);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void the_explicit_form_rolls_back_unless_committed(TestEngine engine) throws SQLException {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      createTable(db);
      try (Transaction tx = db.begin()) {
        tx.session().update("INSERT INTO items VALUES (1, 'kept')");
        tx.commit();
      }
      try (Transaction tx = db.begin(TransactionOptions.named("abandoned"))) {
        tx.session().update("INSERT INTO items VALUES (2, 'dropped')");
      }
      assertThat(count(db, "1 = 1")).isEqualTo(1);
      assertThat(db.openTransactions()).isEmpty();
    }
  }
}
