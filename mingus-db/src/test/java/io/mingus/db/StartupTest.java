package io.mingus.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ch.qos.logback.classic.Level;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class StartupTest {
  private static final String PASSWORD = "Xy-s3cr3t-9q";

  private static String stackText(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return w.toString();
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void the_password_never_reaches_a_log_line_an_exception_or_a_health_or_metrics_document(TestEngine engine) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    StringBuilder documents = new StringBuilder();
    String logs;
    // PostgreSQL here trusts local connections, so any password is accepted; a fresh in-memory
    // H2 database takes its first connection's password as the password of its user.
    try (LogCapture capture = LogCapture.all(Level.DEBUG);
        TestDb t = TestDb.open(engine, c -> {
          DatabaseConfig.Builder b = c.echo(true).slowQueryThreshold(Duration.ofMillis(1)).leakDetection(
              Duration.ofSeconds(5));
          String url = engine == TestEngine.POSTGRESQL ? TestDb.postgresUrl() : c.build().main().jdbcUrl();
          return b.url(url, engine == TestEngine.POSTGRESQL ? TestDb.postgresUser() : "sa", PASSWORD);
        }, b -> b.meterRegistry(registry))) {
      Database db = t.db();
      assertThat(db.config().main().password()).isEqualTo(PASSWORD);
      db.inTransaction(s -> s.update("CREATE TABLE items (id INT PRIMARY KEY)"));
      db.inTransaction(s -> s.update("INSERT INTO items VALUES (?)", 1));
      Throwable failure = catchThrowable(() -> db.inTransaction(s -> s.update("INSERT INTO items VALUES (1)")));
      assertThat(stackText(failure)).doesNotContain(PASSWORD);
      Throwable syntax = catchThrowable(() -> db.inTransaction(s -> s.update("INSERT INTO")));
      assertThat(stackText(syntax)).doesNotContain(PASSWORD);
      documents.append(db.health()).append(db.pools().metrics()).append(db.pools().performance())
          .append(db.stats()).append(db.config()).append(db.openTransactions());
      for (PoolName name : PoolName.values()) {
        documents.append(db.pools().config(name));
      }
      for (Meter m : registry.getMeters()) {
        documents.append(m.getId()).append(m.measure());
      }
      db.optimizer().sample();
      documents.append(db.optimizer().optimizeAll());
      logs = capture.allText();
    }
    assertThat(logs).as("some logs were captured").contains("database ready");
    assertThat(logs).doesNotContain(PASSWORD);
    assertThat(documents.toString()).contains("main").doesNotContain(PASSWORD);
  }

  /** A server that cannot be reached needs a network database: PostgreSQL on a closed port. */
  @ParameterizedTest
  @EnumSource(value = TestEngine.class, names = "POSTGRESQL")
  void the_password_is_not_shown_when_the_database_cannot_be_reached(TestEngine engine) {
    String url = "jdbc:postgresql://127.0.0.1:1/test?password=" + PASSWORD;
    String logs;
    Throwable failure;
    String health;
    try (LogCapture capture = LogCapture.all(Level.DEBUG);
        Database db = Database.create(TestDb.baseConfig(engine).url(url, "postgres", PASSWORD)
            .poolTimeout(PoolName.MAIN, Duration.ofMillis(500)).poolTimeout(PoolName.WORKER, Duration.ofMillis(500))
            .poolTimeout(PoolName.ANALYTICS, Duration.ofMillis(500)).build())) {
      failure = catchThrowable(() -> db.inTransaction(s -> s.update("SELECT 1")));
      health = db.health().toString();
      logs = capture.allText();
    }
    assertThat(DatabaseErrors.classify(failure).kind()).isEqualTo(ErrorKind.CONNECTION);
    assertThat(failure).hasMessageContaining("password=***");
    assertThat(stackText(failure)).doesNotContain(PASSWORD);
    assertThat(health).contains("UNHEALTHY").doesNotContain(PASSWORD);
    assertThat(logs).doesNotContain(PASSWORD);
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void start_up_on_postgresql_says_how_many_processes_of_this_role_the_server_can_take(TestEngine engine) {
    try (LogCapture capture = LogCapture.of(Level.INFO, "io.mingus.db.Capacity"); TestDb t = TestDb.open(engine)) {
      if (engine == TestEngine.POSTGRESQL) {
        assertThat(capture.messages(Level.INFO)).singleElement().asString()
            .contains("role all may open up to 11 connections (main 4 + worker 4 + analytics 2 + 1 for LISTEN)")
            .contains("max_connections")
            .containsPattern("\\d+ process(es)? of this role at full size");
      } else {
        assertThat(capture.events()).as("H2 is embedded: no server to share").isEmpty();
      }
      assertThat(t.db().dialect()).isEqualTo(engine == TestEngine.POSTGRESQL ? Dialect.POSTGRESQL : Dialect.H2);
    }
  }
}
