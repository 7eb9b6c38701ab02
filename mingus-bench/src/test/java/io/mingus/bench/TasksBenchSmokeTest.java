package io.mingus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.mingus.db.TestDb;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A smoke run of the tasks benchmark on PostgreSQL (db-scheduler's table and LISTEN/NOTIFY are
 * PostgreSQL's): a few tasks per phase, no timing asserted.
 */
class TasksBenchSmokeTest {

  @Test
  void every_phase_runs_on_both_systems_and_reports_positive_numbers() throws Exception {
    TestDb.requirePostgres();
    String schema = "bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT);
    Target target = new Target(TestDb.postgresUrl(), TestDb.postgresUser(), TestDb.postgresPassword(), schema);
    var settings = new TasksBench.Settings(target, 40, 2, 1, Duration.ofMillis(200), 10, Duration.ofMillis(200), 3, 10,
        Set.copyOf(TasksBench.Settings.PHASES), Set.copyOf(TasksBench.Settings.SYSTEMS));
    var text = new ByteArrayOutputStream();
    try {
      TasksBench.Outcome o = TasksBench.run(settings, new PrintStream(text, true, StandardCharsets.UTF_8));

      assertThat(o.rates()).containsKeys("noop mingus", "noop db-scheduler", "log-communication tasks concurrency 2",
          "enqueue single mingus 1 thread", "enqueue single db-scheduler 2 threads", "enqueue batch of 10 mingus 1 thread",
          "enqueue batch of 10 db-scheduler 1 thread", "ratio logcomm tasks/plain",
          "ratio logcomm tasks/hand-written JDBC worker");
      assertThat(o.rates()).allSatisfy((k, v) -> assertThat(v).as(k).isPositive());
      assertThat(o.latenciesNanos()).hasSize(4).allSatisfy((k, v) -> assertThat(v).as(k).hasSize(3));
      assertThat(text.toString(StandardCharsets.UTF_8)).contains("ratio no-op Mingus / db-scheduler");
    } finally {
      try (Connection c = DriverManager.getConnection(target.url(), target.user(), target.password());
          Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
      }
    }
  }
}
