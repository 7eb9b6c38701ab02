package io.mingus.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

// also run through PgBouncer in transaction pooling: the pgbouncer execution of the module's pom
@org.junit.jupiter.api.Tag("pgbouncer")
class SessionsTest {

  private static TestDb withNotes(TestEngine engine) {
    TestDb t = TestDb.open(engine, c -> c, b -> b.entities(Note.class));
    t.db().inTransaction(s -> s.update(Note.DDL));
    return t;
  }

  private static long notes(Database db) {
    return db.fromTransaction(s -> s.queryOne("SELECT count(*) FROM note", rs -> rs.getLong(1)).orElseThrow());
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void the_orm_session_works_on_the_transactions_own_connection(TestEngine engine) {
    try (TestDb t = withNotes(engine)) {
      Database db = t.db();
      db.inTransaction(s -> {
        Connection ormConnection = s.orm().doReturningWork(c -> c);
        assertThat(ormConnection).isSameAs(s.connection());
        s.orm().persist(new Note(1, "first"));
        List<Note> found = s.orm().createSelectionQuery("from Note", Note.class).getResultList();
        assertThat(found).extracting(Note::body).containsExactly("first");
        long viaJdbc = s.queryOne("SELECT count(*) FROM note WHERE body = ?", rs -> rs.getLong(1), "first")
            .orElseThrow();
        assertThat(viaJdbc).as("the ORM's flushed insert is visible to plain JDBC in the same transaction").isEqualTo(1);
        s.update("INSERT INTO note VALUES (2, 'second')");
        assertThat(s.orm().find(Note.class, 2L).body()).isEqualTo("second");
      });
      assertThat(notes(db)).isEqualTo(2);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void pending_orm_changes_are_flushed_before_commit(TestEngine engine) {
    try (TestDb t = withNotes(engine)) {
      Database db = t.db();
      db.inTransaction(s -> s.orm().persist(new Note(1, "unflushed")));
      assertThat(notes(db)).isEqualTo(1);
      db.inTransaction(s -> s.orm().find(Note.class, 1L).body("changed"));
      String body = db.fromTransaction(s -> s.queryOne("SELECT body FROM note", rs -> rs.getString(1)).orElseThrow());
      assertThat(body).isEqualTo("changed");
      assertThatThrownBy(() -> db.inTransaction(s -> {
        s.orm().persist(new Note(2, "rolled back"));
        throw new IllegalStateException("after persist");
      })).isInstanceOf(IllegalStateException.class);
      assertThat(notes(db)).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_failing_nested_block_rolls_back_only_its_own_entities(TestEngine engine) {
    try (TestDb t = withNotes(engine)) {
      Database db = t.db();
      db.inTransaction(outer -> {
        outer.orm().persist(new Note(1, "outer before"));
        Throwable inner = catchThrowable(() -> db.inTransaction(
            TransactionOptions.named("inner").withPropagation(Propagation.NESTED), s -> {
              s.orm().persist(new Note(2, "inner"));
              s.orm().flush();
              throw new IllegalStateException("inner fails after its flush");
            }));
        assertThat(inner).hasMessage("inner fails after its flush");
        outer.orm().persist(new Note(3, "outer after"));
      });
      List<Long> ids = db.fromTransaction(s -> s.query("SELECT id FROM note ORDER BY id", rs -> rs.getLong(1)));
      assertThat(ids).containsExactly(1L, 3L);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_nested_orm_constraint_violation_rolls_back_only_the_nested_block(TestEngine engine) {
    try (TestDb t = withNotes(engine)) {
      Database db = t.db();
      db.inTransaction(s -> s.update("INSERT INTO note VALUES (1, 'taken')"));
      db.inTransaction(outer -> {
        outer.orm().persist(new Note(2, "outer before"));
        Throwable inner = catchThrowable(() -> db.inTransaction(
            TransactionOptions.named("inner").withPropagation(Propagation.NESTED), s -> {
              s.orm().persist(new Note(1, "duplicate"));
              s.orm().flush();
            }));
        assertThat(DatabaseErrors.classify(inner).kind()).isEqualTo(ErrorKind.INTEGRITY);
        outer.orm().persist(new Note(3, "outer after"));
      });
      List<Long> ids = db.fromTransaction(s -> s.query("SELECT id FROM note ORDER BY id", rs -> rs.getLong(1)));
      assertThat(ids).as("Hibernate's rollback-only mark was undone by the savepoint").containsExactly(1L, 2L, 3L);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_caught_orm_failure_outside_nested_fails_the_commit_instead_of_rolling_back_silently(TestEngine engine) {
    try (TestDb t = withNotes(engine)) {
      Database db = t.db();
      db.inTransaction(s -> s.update("INSERT INTO note VALUES (1, 'taken')"));
      assertThatThrownBy(() -> db.inTransaction(s -> {
        s.update("INSERT INTO note VALUES (2, 'plain jdbc')");
        try {
          s.orm().persist(new Note(1, "duplicate"));
          s.orm().flush();
        } catch (RuntimeException swallowed) {
          // the caller goes on, but Hibernate has marked the transaction rollback-only
        }
      })).isInstanceOf(DatabaseException.class).hasMessageContaining("rollback-only").hasMessageContaining("NESTED");
      assertThat(notes(db)).as("nothing of the failed transaction is kept, and the caller was told").isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void an_orm_constraint_violation_is_classified_as_integrity(TestEngine engine) {
    try (TestDb t = withNotes(engine)) {
      Database db = t.db();
      db.inTransaction(s -> s.update("INSERT INTO note VALUES (1, 'taken')"));
      Throwable thrown = catchThrowable(() -> db.inTransaction(s -> s.orm().persist(new Note(1, "again"))));
      assertThat(thrown).isNotNull();
      assertThat(DatabaseErrors.classify(thrown).kind()).isEqualTo(ErrorKind.INTEGRITY);
      assertThat(db.openTransactions()).isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void orm_without_entities_says_how_to_register_them(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      assertThatThrownBy(() -> t.db().inTransaction(s -> s.orm()))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining(".entities(");
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void analytics_transactions_run_read_only_on_the_analytics_pool(TestEngine engine) throws Exception {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      db.inTransaction(s -> s.update("CREATE TABLE items (id INT PRIMARY KEY)"));
      db.inTransaction(TransactionOptions.analytics("report"), s -> {
        assertThat(s.pool()).isEqualTo(PoolName.ANALYTICS);
        assertThat(s.readOnly()).isTrue();
        assertThat(s.connection().isReadOnly()).isTrue();
        assertThat(s.name()).isEqualTo("report");
        assertThat(db.pools().metrics(PoolName.ANALYTICS).checkedOut()).isEqualTo(1);
        assertThat(db.pools().metrics(PoolName.MAIN).checkedOut()).isZero();
      });
      if (engine == TestEngine.POSTGRESQL) {
        // H2 takes read-only as a hint only; PostgreSQL enforces it (BEGIN READ ONLY).
        Throwable write = catchThrowable(() -> db.inTransaction(TransactionOptions.analytics("sneaky-write"),
            s -> s.update("INSERT INTO items VALUES (1)")));
        assertThat(DatabaseErrors.classify(write).sqlState()).isEqualTo("25006");
        assertThat(DatabaseErrors.classify(write).kind()).isEqualTo(ErrorKind.PROGRAMMING);
      }
      db.inTransaction(TransactionOptions.named("main-read-only").withReadOnly(true),
          s -> assertThat(s.connection().isReadOnly()).isTrue());
      db.inTransaction(s -> assertThat(s.connection().isReadOnly()).as("read-only does not leak").isFalse());
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void the_isolation_level_is_applied_and_reset(TestEngine engine) throws Exception {
    try (TestDb t = TestDb.open(engine, c -> c.poolSize(PoolName.MAIN, 1, 0))) {
      Database db = t.db();
      db.inTransaction(TransactionOptions.named("strict").withIsolation(Isolation.SERIALIZABLE), s -> {
        assertThat(s.connection().getTransactionIsolation()).isEqualTo(Connection.TRANSACTION_SERIALIZABLE);
        if (engine == TestEngine.POSTGRESQL) {
          assertThat(s.queryOne("SHOW transaction_isolation", rs -> rs.getString(1))).contains("serializable");
        }
      });
      db.inTransaction(s -> assertThat(s.connection().getTransactionIsolation())
          .isEqualTo(Connection.TRANSACTION_READ_COMMITTED));
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_statement_timeout_cancels_a_slow_statement_and_does_not_leak_to_the_next_transaction(TestEngine engine) {
    try (TestDb t = TestDb.open(engine, c -> c.poolSize(PoolName.MAIN, 1, 0))) {
      Database db = t.db();
      String slow = engine == TestEngine.POSTGRESQL ? "SELECT pg_sleep(30)"
          : "SELECT count(*) FROM SYSTEM_RANGE(1, 1000000) a, SYSTEM_RANGE(1, 1000000) b WHERE a.X + b.X = 7";
      Throwable thrown = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> catchThrowable(() ->
          db.inTransaction(TransactionOptions.named("bounded").withTimeout(Duration.ofMillis(200)),
              s -> s.queryOne(slow, rs -> rs.getLong(1)))));
      DatabaseError error = DatabaseErrors.classify(thrown);
      assertThat(error.kind()).isEqualTo(ErrorKind.TIMEOUT);
      assertThat(error.sqlState()).isEqualTo("57014");
      assertThat(thrown).hasMessageContaining("bounded");
      String sql = engine == TestEngine.POSTGRESQL ? "SHOW statement_timeout"
          : "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'QUERY_TIMEOUT'";
      String after = db.fromTransaction(s -> s.queryOne(sql, rs -> rs.getString(1)).orElseThrow());
      assertThat(after).isEqualTo("0");
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void nested_calls_on_the_same_virtual_thread_join_the_transaction(TestEngine engine) throws Exception {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      AtomicReference<String> seen = new AtomicReference<>();
      Thread thread = Thread.ofVirtual().start(() -> {
        try {
          db.inTransaction(TransactionOptions.named("outer"), outer -> {
            String inner = db.fromTransaction(TransactionOptions.named("inner"), s -> {
              assertThat(s.connection()).isSameAs(outer.connection());
              return helper(db);
            });
            seen.set(inner);
          });
        } catch (Throwable e) {
          failure.set(e);
        }
      });
      thread.join(Duration.ofSeconds(20));
      assertThat(failure.get()).isNull();
      assertThat(seen.get()).isEqualTo("outer");
      assertThat(db.stats().total()).as("joined blocks are not transactions of their own").isEqualTo(1);
    }
  }

  /** Code deep in a call chain that knows nothing of the caller's session. */
  private static String helper(Database db) {
    return db.fromTransaction(s -> s.name());
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_plain_new_thread_does_not_inherit_the_transaction(TestEngine engine) throws Exception {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      db.inTransaction(TransactionOptions.named("outer"), outer -> {
        AtomicReference<String> other = new AtomicReference<>();
        Thread thread = Thread.ofVirtual().start(() -> other.set(db.fromTransaction(
            TransactionOptions.named("own"), s -> s.name())));
        thread.join(Duration.ofSeconds(20));
        assertThat(other.get()).isEqualTo("own");
      });
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_small_stream_reads_every_row_and_closes_its_statement(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      String sql = engine == TestEngine.POSTGRESQL
          ? "SELECT g FROM generate_series(1, ?) g" : "SELECT X FROM SYSTEM_RANGE(1, ?)";
      long sum = db.fromTransaction(s -> {
        try (var rows = s.stream(sql, 100, rs -> rs.getLong(1), 1000)) {
          return rows.mapToLong(Long::longValue).sum();
        }
      });
      assertThat(sum).isEqualTo(1000L * 1001 / 2);
      assertThatThrownBy(() -> db.inTransaction(s -> s.stream(sql, 0, rs -> 1, 1)))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
