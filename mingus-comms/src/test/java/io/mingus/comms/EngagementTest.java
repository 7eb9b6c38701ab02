package io.mingus.comms;

import static org.assertj.core.api.Assertions.assertThat;

import io.mingus.db.PoolName;
import io.mingus.db.TestEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

// also run through PgBouncer in transaction pooling: the pgbouncer execution of the module's pom
@org.junit.jupiter.api.Tag("pgbouncer")
class EngagementTest {

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void concurrent_counts_lose_no_update_and_create_a_missing_row_once(TestEngine engine) throws Exception {
    try (var f = new CommsFixture(engine, sms -> sms, c -> c.poolSize(PoolName.MAIN, 12, 0))) {
      long ada = f.user("ada@example.com").id();
      try (var c = f.testDb.rawConnection(); var st = c.createStatement()) {
        st.executeUpdate("DELETE FROM user_engagement_metrics");
      }
      var event = new CommunicationTransactions.Event(ada, Channel.SMS, "reminder", CommunicationStatus.SENT);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<List<Long>>> done = new ArrayList<>();
      try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int i = 0; i < 20; i++) {
          done.add(pool.submit(() -> {
            go.await(10, TimeUnit.SECONDS);
            return f.comms.transactions().record(List.of(event), "event_logging");
          }));
        }
        go.countDown();
      }
      for (Future<List<Long>> d : done) {
        assertThat(d.get()).hasSize(1);
      }
      assertThat(f.comms.engagement(ada)).isEqualTo(new Engagement(ada, 20, 20, 0, CommsFixture.NOON_UTC));
      assertThat(f.count("SELECT COUNT(*) FROM user_engagement_metrics")).isEqualTo(1);
    }
  }
}
