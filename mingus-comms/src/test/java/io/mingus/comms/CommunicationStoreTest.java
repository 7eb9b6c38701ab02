package io.mingus.comms;

import static org.assertj.core.api.Assertions.assertThat;

import io.mingus.comms.internal.CommunicationStore;
import io.mingus.db.TestEngine;
import io.mingus.tasks.FailureKind;
import io.mingus.tasks.Task;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The statements of a send's outcome, each owned by CommunicationStore, without a worker. */
class CommunicationStoreTest {

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_sends_outcomes_are_recorded_by_the_store(TestEngine engine) {
    try (CommsFixture f = new CommsFixture(engine)) {
      CommunicationStore store = new CommunicationStore(f.db);
      User u = f.user("store@example.com");
      long sent = f.comms.send(CommsFixture.sms(u.id(), "one")).id();
      long suppressed = f.comms.send(CommsFixture.sms(u.id(), "two")).id();
      long failed = f.comms.send(CommsFixture.sms(u.id(), "three")).id();
      Instant at = CommsFixture.NOON_UTC.plusSeconds(5);

      f.db.inTransaction(s -> {
        CommunicationStore.Pending p = store.lockForSend(s, sent).orElseThrow();
        assertThat(p.userId()).isEqualTo(u.id());
        assertThat(p.channel()).isEqualTo(Channel.SMS);
        assertThat(p.status()).isEqualTo(CommunicationStatus.QUEUED);
        assertThat(p.message()).isEqualTo("one");
        store.markSent(s, sent, "outbox", "m-1", at);
        store.markSuppressed(s, suppressed, "quiet hours");
        store.markFailed(s, failed, "outbox", "x".repeat(5000));
        assertThat(store.sentSince(s, u.id(), at)).isEqualTo(1);
        assertThat(store.sentSince(s, u.id(), at.plusMillis(1))).isZero();
        assertThat(store.lockForSend(s, -1)).isEmpty();
      });

      Communication c = f.comms.communication(sent);
      assertThat(c.status()).isEqualTo(CommunicationStatus.SENT);
      assertThat(c.provider()).isEqualTo("outbox");
      assertThat(c.providerMessageId()).isEqualTo("m-1");
      assertThat(c.sentAt()).isEqualTo(at);
      assertThat(f.comms.communication(suppressed).status()).isEqualTo(CommunicationStatus.SUPPRESSED);
      assertThat(f.comms.communication(suppressed).error()).isEqualTo("quiet hours");
      assertThat(f.comms.communication(failed).error()).as("clipped to the recorded length").hasSize(1000);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_send_task_that_fails_for_good_fails_only_a_communication_still_queued(TestEngine engine) throws Exception {
    try (CommsFixture f = new CommsFixture(engine)) {
      User u = f.user("hook@example.com");
      long queued = f.comms.send(CommsFixture.sms(u.id(), "one")).id();
      long sent = f.comms.send(CommsFixture.sms(u.id(), "two")).id();
      f.db.inTransaction(s -> new CommunicationStore(f.db).markSent(s, sent, "outbox", "m-2", CommsFixture.NOON_UTC));
      @SuppressWarnings("unchecked")
      Task<SendPayload> smsTask = (Task<SendPayload>) f.comms.tasks().stream()
          .filter(t -> t instanceof SendSmsTask).findFirst().orElseThrow();

      for (long id : List.of(queued, sent)) {
        f.db.inTransaction(s -> smsTask.onFailure(s, new SendPayload(id), FailureKind.TIMEOUT, "ran past its timeout"));
      }

      assertThat(f.comms.communication(queued).status()).isEqualTo(CommunicationStatus.FAILED);
      assertThat(f.comms.communication(queued).error()).isEqualTo("delivery failed for good (TIMEOUT)");
      assertThat(f.comms.communication(sent).status()).as("its outcome stands").isEqualTo(CommunicationStatus.SENT);
    }
  }
}
