package io.mingus.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.ThrowingConsumer;

/**
 * Mingus through a real PgBouncer in transaction pooling with one server connection, so that
 * every transaction of every client runs on the same PostgreSQL session: whatever one leaves in the
 * session, the next one sees.
 */
class PgBouncerTest {
  private static PgBouncer bouncer;

  @BeforeAll
  static void start() {
    TestDb.requirePostgres();
    if (PgBouncer.binary() == null && !"true".equalsIgnoreCase(System.getenv("CI"))) {
      org.junit.jupiter.api.Assumptions.abort("pgbouncer is not installed");
    }
    bouncer = PgBouncer.start(PgBouncer.Settings.defaults().withPoolSize(1));
  }

  @AfterAll
  static void stop() {
    if (bouncer != null) {
      bouncer.close();
    }
  }

  private static TestDb open(boolean pgbouncer) {
    return TestDb.open(TestEngine.POSTGRESQL, c -> c
        .url(bouncer.jdbcUrl("test"), TestDb.postgresUser(), TestDb.postgresPassword())
        .pgbouncer(pgbouncer, new Endpoint(TestDb.postgresUrl(), TestDb.postgresUser(), TestDb.postgresPassword())));
  }

  @Test
  void schema_isolation_and_timeout_hold_inside_the_transaction_and_leave_nothing_on_the_shared_session()
      throws SQLException {
    try (TestDb a = open(true); TestDb b = open(true)) {
      a.db().inTransaction(s -> s.update("CREATE TABLE items (id int PRIMARY KEY)"));
      List<String> seen = a.db().fromTransaction(TransactionOptions.named("settings")
          .withIsolation(Isolation.SERIALIZABLE).withTimeout(Duration.ofSeconds(7)), s -> s.query(
          "SELECT current_schema() || '|' || current_setting('transaction_isolation') || '|'"
              + " || current_setting('statement_timeout') || '|' || pg_backend_pid()", rs -> rs.getString(1)));
      String[] inside = seen.getFirst().split("\\|");
      assertThat(inside[0]).isEqualTo(a.schema());
      assertThat(inside[1]).isEqualTo("serializable");
      assertThat(inside[2]).isEqualTo("7s");

      // b's transaction runs on the same server session (one server connection), with its own schema
      List<String> after = b.db().fromTransaction(s -> s.query(
          "SELECT current_schema() || '|' || current_setting('transaction_isolation') || '|'"
              + " || current_setting('statement_timeout') || '|' || pg_backend_pid()", rs -> rs.getString(1)));
      String[] next = after.getFirst().split("\\|");
      assertThat(next[3]).as("the same server session").isEqualTo(inside[3]);
      assertThat(next[0]).isEqualTo(b.schema());
      assertThat(next[1]).isEqualTo("read committed");
      assertThat(next[2]).isEqualTo("0");

      // a's table is found through its transaction's search_path, b's is not there
      Integer count = a.db().fromTransaction(s -> s.queryOne("SELECT count(*) FROM items", rs -> rs.getInt(1))
          .orElseThrow());
      assertThat(count).isZero();
      assertThatThrownBy(() -> b.db().inTransaction(s -> s.query("SELECT * FROM items", rs -> rs.getInt(1))))
          .hasMessageContaining("items");
    }
  }

  @Test
  void statements_repeated_by_two_clients_on_one_server_session_need_pgbouncer_mode() throws Throwable {
    ThrowingConsumer<Database> repeat = db -> db.inTransaction(s -> {
      try (PreparedStatement ps = s.connection().prepareStatement("SELECT ?::int + 1")) {
        for (int i = 0; i < 8; i++) {
          ps.setInt(1, i);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(i + 1);
          }
        }
      }
    });
    try (TestDb a = open(true); TestDb b = open(true)) {
      repeat.accept(a.db());
      repeat.accept(b.db());
      repeat.accept(a.db());
    }
    // Without it, pgjdbc names the statement after five runs, and the name stays on the session.
    try (TestDb a = open(false); TestDb b = open(false)) {
      repeat.accept(a.db());
      assertThatThrownBy(() -> repeat.accept(b.db())).hasStackTraceContaining("S_1");
    }
  }

  @Test
  void the_settings_are_read_from_the_environment_and_checked() {
    DatabaseConfig c = DatabaseConfig.fromEnvironment(Map.of("MINGUS_PROFILE", "production",
        "DATABASE_URL", "postgresql://app:secret@bouncer:6432/mingus", "DB_PGBOUNCER", "true",
        "DATABASE_DIRECT_URL", "postgresql://app:secret@db:5432/mingus"));
    assertThat(c.pgbouncer()).isTrue();
    assertThat(c.directUrl()).contains(new Endpoint("jdbc:postgresql://db:5432/mingus", "app", "secret"));
    assertThat(c.toString()).doesNotContain("secret");

    DatabaseConfig noDirect = DatabaseConfig.fromEnvironment(Map.of("MINGUS_PROFILE", "production",
        "DATABASE_URL", "postgresql://app:secret@bouncer:6432/mingus", "DB_PGBOUNCER", "true"));
    assertThat(noDirect.directUrl()).as("no session work through PgBouncer").isEmpty();

    DatabaseConfig direct = DatabaseConfig.fromEnvironment(Map.of("MINGUS_PROFILE", "production",
        "DATABASE_URL", "postgresql://app:secret@db:5432/mingus"));
    assertThat(direct.pgbouncer()).isFalse();
    assertThat(direct.directUrl()).contains(new Endpoint("jdbc:postgresql://db:5432/mingus", "app", "secret"));

    assertThatThrownBy(() -> DatabaseConfig.fromEnvironment(Map.of("DB_PGBOUNCER", "true")))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("DB_PGBOUNCER=true is not allowed with an H2");
    assertThatThrownBy(() -> DatabaseConfig.fromEnvironment(Map.of("DB_PGBOUNCER", "maybe")))
        .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("DB_PGBOUNCER=maybe is not allowed: use true or false");
  }
}
