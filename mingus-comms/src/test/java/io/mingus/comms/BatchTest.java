package io.mingus.comms;

import static io.mingus.comms.SendTest.awaitFinal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mingus.db.TestEngine;
import io.mingus.db.TransactionAction;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

// also run through PgBouncer in transaction pooling: the pgbouncer execution of the module's pom
@org.junit.jupiter.api.Tag("pgbouncer")
class BatchTest {

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_batch_with_one_bad_request_writes_nothing_and_a_good_one_is_sent_with_exact_counters(TestEngine engine) {
    try (var f = new CommsFixture(engine)) {
      long ada = f.user("ada@example.com").id();
      long bob = f.user("bob@example.com").id();
      f.comms.updatePreferences(ada, new PreferencesUpdate(null, null, null, null, 1000, false));
      f.comms.updatePreferences(bob, new PreferencesUpdate(null, null, null, null, 1000, false));

      List<SendRequest> bad = List.of(CommsFixture.sms(ada, "ok"), CommsFixture.sms(ada, " "),
          CommsFixture.sms(ada + bob + 100, "who?"));
      assertThatThrownBy(() -> f.comms.sendBatch(bad))
          .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors()).extracting(FieldError::field)
              .containsExactly("requests[1].message"));
      assertThatThrownBy(() -> f.comms.sendBatch(List.of(CommsFixture.sms(ada, "ok"),
          CommsFixture.sms(ada + bob + 100, "who?"))))
          .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors()).extracting(FieldError::field)
              .containsExactly("requests[1].user_id"));
      assertThatThrownBy(() -> f.comms.sendBatch(java.util.Collections.nCopies(1_001, CommsFixture.sms(ada, "x"))))
          .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors()).extracting(FieldError::field)
              .containsExactly("requests"));
      assertThat(f.count("SELECT COUNT(*) FROM communication_metrics")).isZero();
      assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks")).isZero();

      List<SendRequest> good = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        good.add(CommsFixture.sms(ada, "sms " + i));
        if (i % 3 == 0) {
          good.add(new SendRequest(bob, Channel.EMAIL, "mail " + i, "subject " + i, "digest", "digest-" + i));
        }
      }
      // a key repeated with the same request is the same communication; with another request it is refused
      List<SendRequest> reused = new ArrayList<>(good);
      reused.add(new SendRequest(bob, Channel.EMAIL, "mail 0 again", "s", "digest", "digest-0"));
      assertThatThrownBy(() -> f.comms.sendBatch(reused))
          .isInstanceOfSatisfying(IdempotencyKeyReusedException.class, e -> {
            assertThat(e.field()).isEqualTo("requests[40].idempotency_key");
            assertThat(e.differences()).containsExactly("subject", "message");
          });
      assertThat(f.count("SELECT COUNT(*) FROM communication_metrics")).isZero();
      good.add(new SendRequest(bob, Channel.EMAIL, "mail 0", "subject 0", "digest", "digest-0"));
      List<Communication> queued = f.comms.sendBatch(good);
      assertThat(queued).hasSize(41);
      assertThat(queued.getLast().id()).isEqualTo(queued.get(1).id());
      assertThat(queued).extracting(Communication::taskId).doesNotContainNull();
      assertThat(f.count("SELECT COUNT(*) FROM communication_metrics")).isEqualTo(40);
      assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks")).isEqualTo(40);
      assertThat(f.comms.communication(queued.get(5).id())).isEqualTo(queued.get(5));

      f.startWorker();
      for (Communication c : queued) {
        assertThat(awaitFinal(f, c.id()).status()).isEqualTo(CommunicationStatus.SENT);
      }
      // 4 tasks at once updated the counters: atomic SQL loses none.
      assertThat(f.comms.engagement(ada)).isEqualTo(new Engagement(ada, 30, 30, 0, CommsFixture.NOON_UTC));
      assertThat(f.comms.engagement(bob)).isEqualTo(new Engagement(bob, 10, 0, 10, CommsFixture.NOON_UTC));
      assertThat(f.outboxLines()).hasSize(40);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void the_transaction_manager_commits_a_batch_of_operations_all_or_nothing(TestEngine engine) {
    try (var f = new CommsFixture(engine)) {
      long ada = f.user("ada@example.com").id();
      var tx = f.comms.transactions();
      TransactionAction<RuntimeException> touch = s -> s.update(
          "UPDATE communication_preferences SET daily_limit = daily_limit + 1 WHERE user_id = ?", ada);
      TransactionAction<RuntimeException> fail = s -> s.update("UPDATE no_such_table SET x = 1");

      assertThatThrownBy(() -> tx.batch(List.of(touch, touch, fail), "batch_processing"))
          .isInstanceOf(CommsException.class)
          .hasMessageStartingWith("batch 'batch_processing' failed at operation 2 of 3; all of it was rolled back");
      assertThat(f.comms.preferences(ada).dailyLimit()).isEqualTo(10);
      assertThat(tx.batch(List.of(touch, touch), "batch_processing")).isEqualTo(2);
      assertThat(f.comms.preferences(ada).dailyLimit()).isEqualTo(12);

      var events = List.of(
          new CommunicationTransactions.Event(ada, Channel.SMS, "reminder", CommunicationStatus.SENT),
          new CommunicationTransactions.Event(ada, Channel.EMAIL, "digest", CommunicationStatus.SENT),
          new CommunicationTransactions.Event(ada, Channel.SMS, "reminder", CommunicationStatus.FAILED));
      List<Long> ids = tx.record(events, "batch_communication_processing");
      assertThat(ids).hasSize(3).doesNotHaveDuplicates();
      assertThat(f.comms.communication(ids.get(2)).status()).isEqualTo(CommunicationStatus.FAILED);
      assertThat(f.comms.engagement(ada)).isEqualTo(new Engagement(ada, 2, 1, 1, CommsFixture.NOON_UTC));
      assertThatThrownBy(() -> tx.record(List.of(events.getFirst(),
          new CommunicationTransactions.Event(ada + 99, Channel.SMS, "reminder", CommunicationStatus.SENT)), "bad"))
          .isInstanceOf(CommsException.class);
      assertThat(f.count("SELECT COUNT(*) FROM communication_metrics")).isEqualTo(3);
      assertThat(f.comms.engagement(ada).totalCommunications()).isEqualTo(2);
      long viaLogging = tx.logging("event_logging", s -> s.queryOne("SELECT COUNT(*) FROM users",
          rs -> rs.getLong(1)).orElseThrow());
      assertThat(viaLogging).isEqualTo(1);
    }
  }
}
