package io.mingus.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The analytics pool on a streaming replica ({@code ANALYTICS_DATABASE_URL}) of a scratch primary
 * that the test creates, starts and stops ({@link ScratchCluster}); the shared server is never
 * touched.
 */
class ReplicaTest {
  private static final TransactionOptions STRICT = TransactionOptions.analytics("strict report");
  private static final TransactionOptions FALLBACK = TransactionOptions.analytics("report").withPrimaryFallback(true);
  private static ScratchCluster cluster;

  @BeforeAll
  static void start() {
    if (ScratchCluster.binaries() == null && !"true".equalsIgnoreCase(System.getenv("CI"))) {
      Assumptions.abort("PostgreSQL's server binaries are not installed");
    }
    cluster = ScratchCluster.start();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Database open(Duration maxLag) {
    DatabaseConfig config = DatabaseConfig.defaults(Profile.TESTING, cluster.primaryUrl(), "postgres", null)
        .toBuilder().echo(false)
        .analyticsUrl(cluster.replicaUrl(), "postgres", null).analyticsMaxLag(maxLag)
        .poolSize(PoolName.MAIN, 2, 0).poolSize(PoolName.ANALYTICS, 2, 0)
        .poolTimeout(PoolName.ANALYTICS, Duration.ofSeconds(2)).build();
    Database db = Database.create(config);
    db.inTransaction(s -> s.update("CREATE TABLE IF NOT EXISTS facts (n int)"));
    return db;
  }

  private static boolean onReplica(Database db, TransactionOptions options) {
    return db.fromTransaction(options, s -> s.queryOne("SELECT pg_is_in_recovery()", rs -> rs.getBoolean(1))
        .orElseThrow());
  }

  @Test
  void analytics_reads_go_to_the_replica_and_health_reports_its_lag_in_bytes_and_seconds() {
    try (Database db = open(Duration.ofSeconds(30))) {
      db.inTransaction(s -> s.update("INSERT INTO facts VALUES (1)"));
      // until the replica has replayed the table and the row
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> db.fromTransaction(STRICT,
          s -> s.queryOne("SELECT count(*) FROM facts WHERE n = 1", rs -> rs.getLong(1)).orElseThrow()) > 0);
      assertThat(onReplica(db, STRICT)).as("the analytics pool reads the replica").isTrue();
      assertThat(onReplica(db, TransactionOptions.named("write side"))).isFalse();

      PoolHealth analytics = db.health().pools().get(PoolName.ANALYTICS);
      assertThat(analytics.replication()).isNotNull();
      assertThat(analytics.replication().bytes()).isNotNegative();
      assertThat(analytics.replication().lag()).isLessThan(Duration.ofSeconds(30));
      assertThat(db.health().pools().get(PoolName.MAIN).replication()).isNull();
    }
  }

  @Test
  void a_replica_too_far_behind_degrades_analytics_and_only_reads_that_allow_it_go_to_the_primary() {
    try (Database db = open(Duration.ofSeconds(1))) {
      db.inTransaction(s -> s.update("INSERT INTO facts VALUES (2)"));
      // (the lag is now - the last replayed commit while WAL waits for replay: after an idle spell
      // that reads high for a moment, and the limit here is 1 s)
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> db.fromTransaction(STRICT,
          s -> s.queryOne("SELECT count(*) FROM facts WHERE n = 2", rs -> rs.getLong(1)).orElseThrow()) > 0);
      onReplicaServer("SELECT pg_wal_replay_pause()");
      try {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
          db.inTransaction(s -> s.update("INSERT INTO facts VALUES (3)"));
          PoolHealth h = db.health().pools().get(PoolName.ANALYTICS);
          assertThat(h.status()).isEqualTo(HealthStatus.DEGRADED);
          assertThat(h.replication().lag()).isGreaterThan(Duration.ofSeconds(1));
          assertThat(h.replication().bytes()).isPositive();
          assertThat(h.error()).contains("behind the primary").contains("ANALYTICS_MAX_LAG_SECONDS");
        });
        assertThat(onReplica(db, FALLBACK)).as("a read that allows it goes to the primary").isFalse();
        Throwable refused = catchThrowable(() -> onReplica(db, STRICT));
        assertThat(refused).isInstanceOf(DatabaseUnavailableException.class)
            .hasMessageContaining("transaction 'strict report' cannot read from the analytics replica")
            .hasMessageContaining("behind the primary").hasMessageContaining("withPrimaryFallback(true)");
      } finally {
        // a paused replica still takes connections; with the lag over the limit only health may ask it
        onReplicaServer("SELECT pg_wal_replay_resume()");
      }
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> onReplica(db, STRICT));
    }
  }

  @Test
  void when_the_replica_is_down_reads_that_allow_it_go_to_the_primary_and_others_fail_clearly() {
    try (Database db = open(Duration.ofSeconds(30))) {
      assertThat(onReplica(db, STRICT)).isTrue();
      cluster.stopReplica();
      try {
        // the first read may meet a pooled connection the stop broke; it marks the replica unreachable
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> !onReplica(db, FALLBACK));
        Throwable refused = catchThrowable(() -> onReplica(db, STRICT));
        assertThat(refused).isInstanceOf(DatabaseUnavailableException.class)
            .hasMessageContaining("cannot read from the analytics replica: it is unreachable");
        assertThat(db.health().pools().get(PoolName.ANALYTICS).status()).isEqualTo(HealthStatus.UNHEALTHY);
      } finally {
        cluster.startReplica();
      }
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> {
        try {
          return onReplica(db, STRICT);
        } catch (DatabaseException stillDown) {
          return false;
        }
      });
    }
  }

  private static void onReplicaServer(String sql) {
    try (var c = java.sql.DriverManager.getConnection(cluster.replicaUrl(), "postgres", null);
        var st = c.createStatement()) {
      st.execute(sql);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(sql + " failed on the replica", e);
    }
  }
}
