package io.mingus.comms;

import static io.mingus.comms.SendTest.awaitFinal;
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
class IdempotencyTest {

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void twenty_concurrent_repeats_of_a_key_make_one_row_one_task_and_one_message(TestEngine engine) throws Exception {
    try (var f = new CommsFixture(engine, sms -> sms, c -> c.poolSize(PoolName.MAIN, 20, 0))) {
      long user = f.user("ada@example.com").id();
      SendRequest request = new SendRequest(user, Channel.SMS, "once", null, "otp", "order-42-confirmation");
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Communication>> results = new ArrayList<>();
      try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int i = 0; i < 20; i++) {
          results.add(pool.submit(() -> {
            go.await(10, TimeUnit.SECONDS);
            return f.comms.send(request);
          }));
        }
        go.countDown();
      }
      List<Long> ids = new ArrayList<>();
      for (Future<Communication> r : results) {
        ids.add(r.get().id());
      }
      assertThat(ids).hasSize(20).containsOnly(ids.getFirst());
      assertThat(f.count("SELECT COUNT(*) FROM communication_metrics")).isEqualTo(1);
      assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks")).isEqualTo(1);

      f.startWorker();
      assertThat(awaitFinal(f, ids.getFirst()).status()).isEqualTo(CommunicationStatus.SENT);
      assertThat(f.comms.send(request).status()).isEqualTo(CommunicationStatus.SENT);
      assertThat(f.comms.sendBatch(List.of(request, CommsFixture.sms(user, "new")))).first()
          .extracting(Communication::id).isEqualTo(ids.getFirst());
      assertThat(f.outboxLines().stream().filter(l -> l.contains("\"body\":\"once\""))).hasSize(1);
      assertThat(f.count("SELECT COUNT(*) FROM communication_metrics")).isEqualTo(2);
    }
  }

  /**
   * A send that joins the caller's transaction and finds its key taken returns the first
   * communication and leaves that transaction usable: the caller's own write commits with it.
   */
  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_repeat_inside_a_callers_transaction_returns_the_first_and_the_transaction_commits(TestEngine engine) {
    try (var f = new CommsFixture(engine)) {
      long user = f.user("grace@example.com").id();
      SendRequest request = new SendRequest(user, Channel.SMS, "once", null, "otp", "joined-repeat");
      Communication first = f.comms.send(request);

      Communication again = f.db.fromTransaction(s -> {
        s.update("UPDATE users SET timezone = 'Europe/Paris' WHERE id = ?", user);
        Communication c = f.comms.send(request);
        Communication other = f.comms.send(new SendRequest(user, Channel.SMS, "second", null, "otp", null));
        assertThat(other.id()).isNotEqualTo(c.id());
        return c;
      });

      assertThat(again.id()).isEqualTo(first.id());
      assertThat(f.text("SELECT timezone FROM users WHERE id = " + user)).as("the caller's write committed")
          .isEqualTo("Europe/Paris");
      assertThat(f.count("SELECT COUNT(*) FROM communication_metrics")).isEqualTo(2);
      assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks")).isEqualTo(2);
    }
  }
}
