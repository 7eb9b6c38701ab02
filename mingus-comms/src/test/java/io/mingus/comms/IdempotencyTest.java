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
}
