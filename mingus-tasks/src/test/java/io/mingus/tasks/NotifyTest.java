package io.mingus.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.mingus.db.ConfigurationException;
import io.mingus.db.Database;
import io.mingus.db.LogCapture;
import io.mingus.db.PgBouncer;
import io.mingus.db.TestDb;
import io.mingus.db.TestEngine;
import java.time.Duration;
import org.junit.jupiter.api.Test;

// also run through PgBouncer in transaction pooling: the pgbouncer execution of the module's pom
@org.junit.jupiter.api.Tag("pgbouncer")
class NotifyTest {

  @Test
  void on_postgresql_a_task_starts_within_seconds_on_an_idle_worker_that_polls_once_a_minute() {
    try (Fixture f = Fixture.open(TestEngine.POSTGRESQL)) {
      Tasks.Witness witness = new Tasks.Witness();
      Worker w = f.start(f.worker("w1").register(witness).pollInterval(Duration.ofMinutes(1)));
      // Another TaskQueue (as in another process): no in-process wake-up, only the NOTIFY.
      TaskQueue elsewhere = TaskQueue.create(f.db);
      await().atMost(Duration.ofSeconds(20)).until(() -> listening(w));
      long first = elsewhere.enqueue(witness, new Tasks.N(1), TaskOptions.defaults());
      await().atMost(Duration.ofSeconds(20)).until(() -> f.task(first).state() == TaskState.SUCCEEDED);

      long second = elsewhere.enqueue(witness, new Tasks.N(2), TaskOptions.defaults());
      await().atMost(Duration.ofSeconds(5)).until(() -> f.task(second).state() == TaskState.SUCCEEDED);
    }
  }

  @Test
  void the_listen_connection_comes_back_after_the_server_drops_it() {
    try (Fixture f = Fixture.open(TestEngine.POSTGRESQL)) {
      Tasks.Witness witness = new Tasks.Witness();
      Worker w = f.start(f.worker("w1").register(witness).pollInterval(Duration.ofMinutes(1)));
      TaskQueue elsewhere = TaskQueue.create(f.db);
      await().atMost(Duration.ofSeconds(20)).until(() -> listening(w));
      int pid = listenerPid(w);

      f.db.inTransaction(s -> s.queryOne("SELECT pg_terminate_backend(?)", rs -> rs.getBoolean(1), pid));
      await().atMost(Duration.ofSeconds(20)).until(() -> listening(w) && listenerPid(w) != pid);
      long first = elsewhere.enqueue(witness, new Tasks.N(1), TaskOptions.defaults());
      await().atMost(Duration.ofSeconds(20)).until(() -> f.task(first).state() == TaskState.SUCCEEDED);
      long second = elsewhere.enqueue(witness, new Tasks.N(2), TaskOptions.defaults());
      await().atMost(Duration.ofSeconds(5)).until(() -> f.task(second).state() == TaskState.SUCCEEDED);
    }
  }

  @Test
  void behind_pgbouncer_without_a_direct_url_a_worker_polls_and_says_so_once_at_start() throws Exception {
    TestDb.requirePostgres();
    if (PgBouncer.binary() == null && !"true".equalsIgnoreCase(System.getenv("CI"))) {
      org.junit.jupiter.api.Assumptions.abort("pgbouncer is not installed");
    }
    try (Fixture f = Fixture.open(TestEngine.POSTGRESQL);
        LogCapture log = LogCapture.of(Level.WARN, "io.mingus.tasks");
        // the same schema through PgBouncer, with no direct URL (the fixture migrated it)
        Database bounced = Database.create(f.db.config().toBuilder()
            .url(PgBouncer.shared().jdbcUrl("test"), TestDb.postgresUser(), TestDb.postgresPassword())
            .pgbouncer(true, null).build())) {
      Tasks.Witness witness = new Tasks.Witness();
      Worker w = Worker.builder(bounced, f.queue).id("w1").register(witness).pollInterval(Duration.ofMillis(100))
          .shutdownTimeout(Duration.ofSeconds(10)).build();
      try {
        w.start();
        assertThat(w.runtime().listener()).isEmpty();
        long id = f.queue.enqueue(witness, new Tasks.N(1), TaskOptions.defaults());
        await().atMost(Duration.ofSeconds(20)).until(() -> f.task(id).state() == TaskState.SUCCEEDED);
      } finally {
        w.close();
      }
      assertThat(log.messages(Level.WARN)).filteredOn(m -> m.contains("DATABASE_DIRECT_URL")).singleElement()
          .satisfies(m -> assertThat(m).contains("worker w1 wakes by polling every 100 ms").contains("PgBouncer"));
      // migrations already applied are checked with one query that names the schema: fine through PgBouncer
      assertThat(TaskQueue.create(bounced)).isNotNull();
    }
    // a schema still to migrate needs Flyway, whose session settings PgBouncer would not keep
    String fresh = "t_fresh_" + Long.toHexString(System.nanoTime());
    try (Database unmigrated = Database.create(TestDb.baseConfig(TestEngine.POSTGRESQL).schema(fresh)
        .url(PgBouncer.shared().jdbcUrl("test"), TestDb.postgresUser(), TestDb.postgresPassword())
        .pgbouncer(true, null).build())) {
      assertThat(catchThrowable(() -> TaskQueue.create(unmigrated))).isInstanceOf(ConfigurationException.class)
          .hasMessageContaining("DATABASE_DIRECT_URL");
    } finally {
      try (var c = java.sql.DriverManager.getConnection(TestDb.postgresUrl(), TestDb.postgresUser(),
          TestDb.postgresPassword()); var st = c.createStatement()) {
        st.execute("DROP SCHEMA IF EXISTS " + fresh + " CASCADE");
      }
    }
  }

  private static boolean listening(Worker w) {
    return w.runtime().listener().orElseThrow().listening();
  }

  private static int listenerPid(Worker w) {
    return w.runtime().listener().orElseThrow().backendPid();
  }
}
