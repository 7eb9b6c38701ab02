package io.mingus.comms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mingus.db.TestEngine;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

// also run through PgBouncer in transaction pooling: the pgbouncer execution of the module's pom
@org.junit.jupiter.api.Tag("pgbouncer")
class SendTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration BOUND = Duration.ofSeconds(30);

  static Communication awaitFinal(CommsFixture f, long id) {
    return await().atMost(BOUND).pollInterval(Duration.ofMillis(50))
        .until(() -> f.comms.communication(id), c -> c.status().isFinal());
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_queued_sms_is_sent_by_its_task_and_engagement_and_preferences_follow(TestEngine engine) throws Exception {
    try (var f = new CommsFixture(engine)) {
      long user = f.user("ada@example.com").id();
      Communication queued = f.comms.send(new SendRequest(user, Channel.SMS, "Your code is 1234", null, "otp", "k-1"));
      assertThat(queued.status()).isEqualTo(CommunicationStatus.QUEUED);
      assertThat(queued.taskId()).isNotNull();
      assertThat(queued.createdAt()).isEqualTo(CommsFixture.NOON_UTC);
      f.startWorker();

      Communication sent = awaitFinal(f, queued.id());
      assertThat(sent.status()).isEqualTo(CommunicationStatus.SENT);
      assertThat(sent.provider()).isEqualTo("outbox");
      assertThat(sent.providerMessageId()).isEqualTo("outbox-" + queued.id());
      assertThat(sent.sentAt()).isEqualTo(CommsFixture.NOON_UTC);
      assertThat(sent.error()).isNull();
      assertThat(f.comms.engagement(user)).isEqualTo(new Engagement(user, 1, 1, 0, CommsFixture.NOON_UTC));
      assertThat(f.comms.preferences(user).lastSmsSent()).isEqualTo(CommsFixture.NOON_UTC);
      assertThat(f.comms.preferences(user).lastEmailSent()).isNull();

      List<String> lines = f.outboxLines();
      assertThat(lines).hasSize(1);
      JsonNode line = JSON.readTree(lines.getFirst());
      assertThat(line.get("idempotency_key").asText()).isEqualTo(Long.toString(queued.id()));
      assertThat(line.get("to").asText()).isEqualTo("+14155550100");
      assertThat(line.get("body").asText()).isEqualTo("Your code is 1234");
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void text_with_quotes_semicolons_sql_and_non_ascii_is_stored_sent_and_returned_verbatim(TestEngine engine)
      throws Exception {
    try (var f = new CommsFixture(engine)) {
      long user = f.user("o'brien@example.com").id();
      String text = "It's \"fine\"; DROP TABLE users; -- ' OR '1'='1 /* */ \\ naïve café 日本語 🎉 Ω";
      String subject = "Re: ';DELETE FROM communication_metrics; -- ünïcødé";
      long sms = f.comms.send(new SendRequest(user, Channel.SMS, text, null, "alert", text)).id();
      long email = f.comms.send(new SendRequest(user, Channel.EMAIL, text, subject, "alert", null)).id();
      f.startWorker();

      assertThat(awaitFinal(f, sms).status()).isEqualTo(CommunicationStatus.SENT);
      Communication mail = awaitFinal(f, email);
      assertThat(mail.status()).isEqualTo(CommunicationStatus.SENT);
      assertThat(mail.message()).isEqualTo(text);
      assertThat(mail.subject()).isEqualTo(subject);
      assertThat(f.comms.communication(sms).message()).isEqualTo(text);
      assertThat(f.comms.communication(sms).idempotencyKey()).isEqualTo(text);
      assertThat(f.comms.user(user).email()).isEqualTo("o'brien@example.com");
      assertThat(f.outboxLines()).hasSize(2).allSatisfy(l -> assertThat(JSON.readTree(l).get("body").asText())
          .isEqualTo(text));
      assertThat(f.comms.engagement(user)).isEqualTo(new Engagement(user, 2, 1, 1, CommsFixture.NOON_UTC));
      assertThat(f.count("SELECT COUNT(*) FROM users")).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void invalid_requests_list_the_offending_fields_and_change_nothing(TestEngine engine) {
    try (var f = new CommsFixture(engine)) {
      long user = f.user("ada@example.com").id();
      long noPhone = f.comms.createUser(new NewUser("bob@example.com", null, "UTC")).id();

      assertThatThrownBy(() -> f.comms.send(new SendRequest(user, null, " ", null, "x y", "")))
          .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors()).extracting(FieldError::field)
              .containsExactly("channel", "message", "message_type", "idempotency_key"));
      assertThatThrownBy(() -> f.comms.send(new SendRequest(user, Channel.EMAIL, "x".repeat(100_001), null, null,
          null)))
          .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors()).extracting(FieldError::field)
              .containsExactly("message", "subject"));
      assertThatThrownBy(() -> f.comms.send(CommsFixture.sms(user, "x".repeat(1_601))))
          .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors().getFirst().message())
              .contains("1601 characters; at most 1600"));
      assertThatThrownBy(() -> f.comms.send(CommsFixture.sms(user + 999, "hi")))
          .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors())
              .containsExactly(new FieldError("user_id", "user " + (user + 999) + " does not exist")));
      assertThatThrownBy(() -> f.comms.send(CommsFixture.sms(noPhone, "hi")))
          .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors())
              .extracting(FieldError::field).containsExactly("channel"));
      f.comms.send(CommsFixture.sms(user, "the one valid request"));

      assertThat(f.count("SELECT COUNT(*) FROM communication_metrics")).isEqualTo(1);
      assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks")).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void listing_pages_newest_first_with_a_cursor_and_filters(TestEngine engine) {
    try (var f = new CommsFixture(engine)) {
      long ada = f.user("ada@example.com").id();
      long bob = f.user("bob@example.com").id();
      for (int i = 0; i < 5; i++) {
        f.comms.send(CommsFixture.sms(ada, "a" + i));
      }
      f.comms.send(new SendRequest(bob, Channel.EMAIL, "b", "s", null, null));

      Page<Communication> first = f.comms.communications(new CommunicationQuery(ada, null, null, 2, null));
      assertThat(first.items()).extracting(Communication::message).containsExactly("a4", "a3");
      Page<Communication> second = f.comms.communications(new CommunicationQuery(ada, null, null, 2,
          first.nextCursor()));
      assertThat(second.items()).extracting(Communication::message).containsExactly("a2", "a1");
      Page<Communication> last = f.comms.communications(new CommunicationQuery(ada, null, null, 2,
          second.nextCursor()));
      assertThat(last.items()).extracting(Communication::message).containsExactly("a0");
      assertThat(last.nextCursor()).isNull();
      assertThat(f.comms.communications(new CommunicationQuery(null, CommunicationStatus.QUEUED, Channel.EMAIL, 10,
          null)).items()).extracting(Communication::userId).containsExactly(bob);
      assertThatThrownBy(() -> f.comms.communications(new CommunicationQuery(null, null, null, 0, "garbage")))
          .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors()).extracting(FieldError::field)
              .containsExactly("limit", "cursor"));
    }
  }
}
