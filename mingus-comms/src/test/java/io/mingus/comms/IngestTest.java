package io.mingus.comms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

/**
 * Issue 14: the way in at database speed. On PostgreSQL a send enqueues its task for an id drawn
 * ahead and inserts the communication with one checking statement, and a batch draws its ids, then
 * writes tasks and rows with one statement each; these tests hold both engines to the same answers.
 */
class IngestTest {

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_send_answers_exactly_the_row_and_the_task_it_committed(TestEngine engine) {
    try (var f = new CommsFixture(engine)) {
      long ada = f.user("ada@example.com").id();
      Communication sms = f.comms.send(new SendRequest(ada, Channel.SMS, "hello", null, "otp", "k-1"));
      Communication mail = f.comms.send(new SendRequest(ada, Channel.EMAIL, "body", "subject", null, null));

      for (Communication c : List.of(sms, mail)) {
        assertThat(f.comms.communication(c.id())).isEqualTo(c);
        assertThat(c.status()).isEqualTo(CommunicationStatus.QUEUED);
        assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks WHERE id = " + c.taskId() + " AND unique_key = 'comm:"
            + c.id() + "' AND state = 'queued'")).isEqualTo(1);
        assertThat(f.text("SELECT payload FROM mingus_tasks WHERE id = " + c.taskId()).replace(" ", ""))
            .isEqualTo("{\"communicationId\":" + c.id() + "}");
      }
      assertThat(mail.subject()).isEqualTo("subject");
      assertThat(mail.messageType()).isEqualTo("general");
      assertThat(f.count("SELECT COUNT(*) FROM communication_metrics")).isEqualTo(2);
      assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks")).isEqualTo(2);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_send_to_a_missing_user_or_one_without_a_phone_writes_nothing_not_even_its_task(TestEngine engine) {
    try (var f = new CommsFixture(engine)) {
      long noPhone = f.comms.createUser(new NewUser("mail-only@example.com", null, "UTC")).id();

      assertThatThrownBy(() -> f.comms.send(new SendRequest(noPhone + 100, Channel.EMAIL, "x", "s", null, "k-1")))
          .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors()).extracting(FieldError::field)
              .containsExactly("user_id"));
      assertThatThrownBy(() -> f.comms.send(new SendRequest(noPhone, Channel.SMS, "x", null, null, null)))
          .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors()).extracting(FieldError::field)
              .containsExactly("channel"));
      assertThat(f.count("SELECT COUNT(*) FROM communication_metrics")).isZero();
      assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks")).isZero();

      Communication mail = f.comms.send(new SendRequest(noPhone, Channel.EMAIL, "x", "s", null, "k-1"));
      assertThat(f.comms.communication(mail.id())).isEqualTo(mail);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void concurrent_repeats_of_a_keyed_batch_write_its_rows_and_tasks_once(TestEngine engine) throws Exception {
    try (var f = new CommsFixture(engine, sms -> sms, c -> c.poolSize(PoolName.MAIN, 10, 0))) {
      long ada = f.user("ada@example.com").id();
      List<SendRequest> batch = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        batch.add(new SendRequest(ada, i % 2 == 0 ? Channel.SMS : Channel.EMAIL, "m " + i, "s", null, "batch-" + i));
      }
      CountDownLatch go = new CountDownLatch(1);
      List<Future<List<Communication>>> results = new ArrayList<>();
      try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int i = 0; i < 6; i++) {
          results.add(pool.submit(() -> {
            go.await(10, TimeUnit.SECONDS);
            return f.comms.sendBatch(batch);
          }));
        }
        go.countDown();
      }
      List<Communication> first = results.getFirst().get();
      for (Future<List<Communication>> r : results) {
        assertThat(r.get()).extracting(Communication::id).isEqualTo(first.stream().map(Communication::id).toList());
      }
      assertThat(first).extracting(Communication::taskId).doesNotContainNull().doesNotHaveDuplicates();
      assertThat(f.count("SELECT COUNT(*) FROM communication_metrics")).isEqualTo(50);
      assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks")).isEqualTo(50);
      assertThat(f.count("SELECT COUNT(*) FROM communication_metrics c JOIN mingus_tasks t ON t.id = c.task_id"
          + " AND t.unique_key IS NULL")).isEqualTo(50);
      for (int i = 0; i < 50; i += 7) {
        Communication c = first.get(i);
        assertThat(f.comms.communication(c.id())).isEqualTo(c);
        assertThat(f.text("SELECT payload FROM mingus_tasks WHERE id = " + c.taskId()).replace(" ", ""))
            .isEqualTo("{\"communicationId\":" + c.id() + "}");
      }
    }
  }
}
