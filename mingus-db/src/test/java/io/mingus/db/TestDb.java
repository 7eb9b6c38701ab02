package io.mingus.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Assumptions;

/**
 * A database of its own for one test: a fresh in-memory H2 database, or a fresh schema on the
 * local PostgreSQL (dropped on close), with the testing profile's settings changed by the test.
 * Closing it fails the test if a transaction was left open.
 *
 * <p>PostgreSQL is {@code jdbc:postgresql://127.0.0.1:5432/test} as user {@code postgres} unless
 * {@code TEST_DATABASE_URL} (and {@code TEST_DATABASE_USER}, {@code TEST_DATABASE_PASSWORD}) say
 * otherwise. When it cannot be reached, PostgreSQL tests are skipped with a loud message, or fail
 * when {@code CI=true} or {@code MINGUS_REQUIRE_POSTGRES=1}.
 *
 * <p>With the system property {@code mingus.test.pgbouncer=true} (the {@code pgbouncer} Maven
 * executions of the db, tasks and comms modules, which run the tests tagged {@code pgbouncer}),
 * PostgreSQL tests go through {@link PgBouncer#shared()} in transaction pooling ({@code
 * DB_PGBOUNCER=true}, PostgreSQL itself as {@code DATABASE_DIRECT_URL}), and H2 tests are skipped
 * (they ran in the default execution).
 */
public final class TestDb implements AutoCloseable {
  private static volatile Boolean postgresUp;

  private final TestEngine engine;
  private final String schema;
  private final Database db;

  private TestDb(TestEngine engine, String schema, Database db) {
    this.engine = engine;
    this.schema = schema;
    this.db = db;
  }

  /** A database on {@code engine} with the testing profile's defaults, pools of 4. */
  public static TestDb open(TestEngine engine) {
    return open(engine, UnaryOperator.identity(), UnaryOperator.identity());
  }

  /** A database on {@code engine} whose configuration {@code tweak} changes. */
  public static TestDb open(TestEngine engine, UnaryOperator<DatabaseConfig.Builder> tweak) {
    return open(engine, tweak, UnaryOperator.identity());
  }

  /** A database on {@code engine}, its configuration and its builder changed by the test. */
  public static TestDb open(TestEngine engine, UnaryOperator<DatabaseConfig.Builder> tweak,
      UnaryOperator<Database.Builder> build) {
    DatabaseConfig.Builder config = baseConfig(engine);
    String schema = null;
    if (engine == TestEngine.POSTGRESQL) {
      schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
      config.schema(schema);
    }
    Database db = build.apply(Database.builder(tweak.apply(config).build())).build();
    return new TestDb(engine, schema, db);
  }

  /** The testing profile on {@code engine}, pools of 4, no echo, slow queries at 5 s. */
  public static DatabaseConfig.Builder baseConfig(TestEngine engine) {
    DatabaseConfig base = switch (engine) {
      case H2 -> {
        if (throughPgBouncer()) {
          Assumptions.abort("H2 tests ran in the default execution; this one runs PostgreSQL through PgBouncer");
        }
        yield DatabaseConfig.defaults(Profile.TESTING,
            "jdbc:h2:mem:t" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000", "sa", null);
      }
      case POSTGRESQL -> {
        requirePostgres();
        DatabaseConfig direct = DatabaseConfig.defaults(Profile.TESTING, postgresUrl(), postgresUser(),
            postgresPassword());
        yield !throughPgBouncer() ? direct : direct.toBuilder()
            .url(PgBouncer.shared().jdbcUrl("test"), postgresUser(), postgresPassword())
            .pgbouncer(true, new Endpoint(postgresUrl(), postgresUser(), postgresPassword()))
            .build();
      }
    };
    return base.toBuilder()
        .echo(false)
        .slowQueryThreshold(java.time.Duration.ofSeconds(5))
        .poolSize(PoolName.MAIN, 4, 0)
        .poolSize(PoolName.WORKER, 4, 0)
        .poolSize(PoolName.ANALYTICS, 2, 0)
        .poolTimeout(PoolName.MAIN, java.time.Duration.ofSeconds(10))
        .poolTimeout(PoolName.WORKER, java.time.Duration.ofSeconds(10))
        .poolTimeout(PoolName.ANALYTICS, java.time.Duration.ofSeconds(10));
  }

  /**
   * Whether PostgreSQL tests go through PgBouncer ({@code -Dmingus.test.pgbouncer=true}); then
   * they need it installed, and are skipped without it, or fail in CI.
   */
  public static boolean throughPgBouncer() {
    if (!Boolean.getBoolean("mingus.test.pgbouncer")) {
      return false;
    }
    if (PgBouncer.binary() == null) {
      if (required()) {
        throw new AssertionError("mingus.test.pgbouncer=true but pgbouncer is not installed (apt-get install"
            + " pgbouncer; .ci/run does)");
      }
      Assumptions.abort("pgbouncer is not installed");
    }
    return true;
  }

  private static boolean required() {
    return "true".equalsIgnoreCase(System.getenv("CI")) || "1".equals(System.getenv("MINGUS_REQUIRE_POSTGRES"));
  }

  public static String postgresUrl() {
    return env("TEST_DATABASE_URL", "jdbc:postgresql://127.0.0.1:5432/test");
  }

  public static String postgresUser() {
    return env("TEST_DATABASE_USER", "postgres");
  }

  public static String postgresPassword() {
    return System.getenv("TEST_DATABASE_PASSWORD");
  }

  /** Skips (or, in CI, fails) the calling test when PostgreSQL cannot be reached. */
  public static void requirePostgres() {
    if (postgresUp == null) {
      try (Connection c = DriverManager.getConnection(postgresUrl(), postgresUser(), postgresPassword())) {
        postgresUp = c.isValid(5);
      } catch (SQLException e) {
        postgresUp = false;
        System.err.println("\n*** PostgreSQL is not reachable at " + postgresUrl() + " (" + e.getMessage()
            + "): PostgreSQL tests are SKIPPED. Start it, or set TEST_DATABASE_URL. ***\n");
      }
    }
    if (!postgresUp) {
      if (required()) {
        throw new AssertionError("PostgreSQL is required (CI=true or MINGUS_REQUIRE_POSTGRES=1) but not reachable at "
            + postgresUrl());
      }
      Assumptions.abort("PostgreSQL is not reachable at " + postgresUrl());
    }
  }

  /** A plain JDBC connection to the test's database, outside every pool (for setup and checks). */
  public Connection rawConnection() throws SQLException {
    Endpoint e = direct(db.config());
    Connection conn = DriverManager.getConnection(e.jdbcUrl(), e.username(), e.password());
    if (schema != null) {
      conn.setSchema(schema);
    }
    return conn;
  }

  public Database db() {
    return db;
  }

  public TestEngine engine() {
    return engine;
  }

  /** The PostgreSQL schema of this database, or {@code null} on H2. */
  public String schema() {
    return schema;
  }

  /** PostgreSQL itself (not PgBouncer) or the H2 database: where set-up and checks connect. */
  static Endpoint direct(DatabaseConfig c) {
    return c.directUrl().orElse(Endpoint.of(c.main()));
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }

  @Override
  public void close() {
    try {
      // Background work that ends on its own (a task notification sent after a commit) may still be
      // finishing; a transaction the test leaked does not end.
      try {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(2))
            .pollInterval(java.time.Duration.ofMillis(5)).until(() -> db.openTransactions().isEmpty());
      } catch (org.awaitility.core.ConditionTimeoutException stillOpen) {
        // reported by the assertion below, with the transactions
      }
      assertThat(db.openTransactions()).as("transactions left open by the test").isEmpty();
    } finally {
      Endpoint direct = direct(db.config());
      db.close();
      try (Connection conn = DriverManager.getConnection(direct.jdbcUrl(), direct.username(), direct.password());
          Statement st = conn.createStatement()) {
        st.execute(schema != null ? "DROP SCHEMA IF EXISTS " + schema + " CASCADE" : "SHUTDOWN");
      } catch (SQLException e) {
        System.err.println("could not clean up test database: " + e.getMessage());
      }
    }
  }
}
