package io.mingus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.mingus.db.TestDb;
import io.mingus.db.TestEngine;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A smoke run of the log-communication harness: a few operations per phase, no timing asserted. */
class DbBenchSmokeTest {

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void every_variant_runs_and_the_database_holds_exactly_what_ran(TestEngine engine) throws Exception {
    Target target = switch (engine) {
      case H2 -> new Target("jdbc:h2:mem:bench" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", null, null);
      case POSTGRESQL -> {
        TestDb.requirePostgres();
        yield new Target(TestDb.postgresUrl(), TestDb.postgresUser(), TestDb.postgresPassword(),
            "bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT));
      }
    };
    var settings = new DbBench.Settings(target, List.of(1, 2), Duration.ZERO, Duration.ZERO, 10, 2, 20,
        DbBench.Settings.ALL);
    var text = new ByteArrayOutputStream();
    try {
      DbBench.Outcome outcome = DbBench.run(settings, new PrintStream(text, true, StandardCharsets.UTF_8));

      // one warm-up at 2 threads, then a warm-up and 2 rounds at each of 2 thread counts, 10 operations per phase
      assertThat(outcome.ops()).containsOnlyKeys(DbBench.Settings.ALL).allSatisfy((v, n) -> assertThat(n).isEqualTo(70));
      assertThat(outcome.rows()).isEqualTo(350).isEqualTo(outcome.totals());
      assertThat(outcome.perSecond()).containsOnlyKeys(1, 2);
      outcome.perSecond().values().forEach(byVariant -> byVariant.values()
          .forEach(rates -> assertThat(rates).hasSize(2).allSatisfy(r -> assertThat(r).isPositive())));
      assertThat(text.toString(StandardCharsets.UTF_8))
          .contains("ratio Mingus (production defaults, proxy on) / plain JDBC, same pool")
          .contains("check: 350 units of work, 350 communication_metrics rows, engagement totals 350: consistent");
    } finally {
      if (target.schema() != null) {
        try (Connection c = DriverManager.getConnection(target.url(), target.user(), target.password());
            Statement st = c.createStatement()) {
          st.execute("DROP SCHEMA IF EXISTS " + target.schema() + " CASCADE");
        }
      }
    }
  }
}
