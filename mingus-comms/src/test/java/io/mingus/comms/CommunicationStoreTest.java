package io.mingus.comms;

import static org.assertj.core.api.Assertions.assertThat;

import io.mingus.comms.internal.CommunicationStore;
import io.mingus.db.TestEngine;
import io.mingus.tasks.FailureKind;
import io.mingus.tasks.Task;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The statements of a send's outcome, each owned by CommunicationStore, without a worker. */
// also run through PgBouncer in transaction pooling: the pgbouncer execution of the module's pom
@org.junit.jupiter.api.Tag("pgbouncer")
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
        Map<Long, CommunicationStore.Sendable> locked = store.lockForSend(s, List.of(sent, suppressed, failed, -1L));
        assertThat(locked).as("an id with no row is absent").containsOnlyKeys(sent, suppressed, failed);
        CommunicationStore.Sendable p = locked.get(sent);
        assertThat(p.userId()).isEqualTo(u.id());
        assertThat(p.channel()).isEqualTo(Channel.SMS);
        assertThat(p.status()).isEqualTo(CommunicationStatus.QUEUED);
        assertThat(p.message()).isEqualTo("one");
        LocalDate day = LocalDate.of(2026, 1, 1);
        store.markReserved(s, List.of(new CommunicationStore.Reserved(sent, CommunicationStatus.SENDING, day, null),
            new CommunicationStore.Reserved(failed, CommunicationStatus.SENDING, day, null),
            new CommunicationStore.Reserved(suppressed, CommunicationStatus.SUPPRESSED, null, "quiet hours")));
        assertThat(store.markDelivered(s, List.of(
            new CommunicationStore.Delivered(sent, CommunicationStatus.SENT, "outbox", "m-1", at, null),
            new CommunicationStore.Delivered(failed, CommunicationStatus.FAILED, "outbox", null, null, "x".repeat(5000)),
            new CommunicationStore.Delivered(suppressed, CommunicationStatus.SENT, "outbox", "m-x", at, null))))
            .as("only communications still sending take an outcome").containsExactlyInAnyOrder(sent, failed);
        assertThat(store.sentSince(s, Map.of(u.id(), at)).get(u.id())).isEqualTo(1);
        assertThat(store.sentSince(s, Map.of(u.id(), at.plusMillis(1))).get(u.id())).isZero();
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
  void a_send_task_that_fails_for_good_fails_only_a_communication_without_an_outcome(TestEngine engine) throws Exception {
    try (CommsFixture f = new CommsFixture(engine)) {
      User u = f.user("hook@example.com");
      long queued = f.comms.send(CommsFixture.sms(u.id(), "one")).id();
      long sent = f.comms.send(CommsFixture.sms(u.id(), "two")).id();
      CommunicationStore store = new CommunicationStore(f.db);
      f.db.inTransaction(s -> {
        store.markReserved(s, List.of(new CommunicationStore.Reserved(sent, CommunicationStatus.SENDING, null, null)));
        store.markDelivered(s, List.of(
            new CommunicationStore.Delivered(sent, CommunicationStatus.SENT, "outbox", "m-2", CommsFixture.NOON_UTC, null)));
      });
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
