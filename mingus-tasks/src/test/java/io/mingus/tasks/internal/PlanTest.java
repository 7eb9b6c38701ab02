package io.mingus.tasks.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.mingus.db.TestEngine;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The statements a worker repeats with a {@code LIMIT} parameter stay index scans in the generic
 * plan PostgreSQL switches a driver's prepared statement to after five runs. A claim written as
 * {@code id IN (SELECT ... LIMIT ?)} did not: its generic plan scanned the whole table in every
 * claim (18 ms per claim at 40,000 queued rows in the benchmark).
 */
class PlanTest {

  @Test
  void claim_and_prune_use_indexes_in_generic_plans_at_20000_rows() {
    try (StoreFixture f = StoreFixture.open(TestEngine.POSTGRESQL)) {
      f.db.inTransaction(s -> {
        s.update("INSERT INTO mingus_tasks (queue, name, payload, priority, state, attempt, max_attempts, timeout_ms,"
            + " run_at, created_at, finished_at) SELECT 'default', 'test.noop', '{}', 0,"
            + " CASE WHEN g % 2 = 0 THEN 'queued' ELSE 'succeeded' END, 0, 3, 60000, now(), now(),"
            + " CASE WHEN g % 2 = 0 THEN NULL ELSE now() END FROM generate_series(1, 20000) g");
        s.update("ANALYZE mingus_tasks");
      });

      String claim = genericPlan(f, "claim_plan",
          "varchar, timestamptz, timestamptz, varchar, timestamptz, varchar, int4",
          PostgresTaskStore.claimSql(1), "'w1', now(), now(), 'default', now(), 'test.noop', 16");
      assertThat(claim).contains("mingus_tasks_claim").contains("mingus_tasks_pkey").doesNotContain("Seq Scan");

      String prune = genericPlan(f, "prune_plan", "timestamptz, int4", PostgresTaskStore.pruneSql(),
          "now(), 1000");
      assertThat(prune).contains("mingus_tasks_pkey").doesNotContain("Hash");
    }
  }

  private static String genericPlan(StoreFixture f, String name, String types, String sql, String args) {
    return f.db.fromTransaction(s -> {
      s.update("SET LOCAL plan_cache_mode = force_generic_plan");
      s.update("PREPARE " + name + " (" + types + ") AS " + numbered(sql));
      try {
        return String.join("\n", s.query("EXPLAIN EXECUTE " + name + " (" + args + ")", rs -> rs.getString(1)));
      } finally {
        s.update("DEALLOCATE " + name);
      }
    });
  }

  /** JDBC's {@code ?} placeholders as PostgreSQL's {@code $1, $2, ...}. */
  private static String numbered(String sql) {
    Matcher m = Pattern.compile("\\?").matcher(sql);
    StringBuilder out = new StringBuilder();
    int n = 0;
    while (m.find()) {
      m.appendReplacement(out, "\\$" + (++n));
    }
    return m.appendTail(out).toString();
  }
}
