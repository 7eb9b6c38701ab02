package io.mingus.comms;

import static io.mingus.comms.SendTest.awaitFinal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mingus.db.PoolName;
import io.mingus.db.TestEngine;
import io.mingus.db.TransactionOptions;
import io.mingus.tasks.FailureKind;
import io.mingus.tasks.TaskState;
import io.mingus.tasks.Worker;
import io.mingus.tasks.WorkerFaults;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 9: a send reserves in one short transaction, calls the provider holding no connection and
 * no row lock, and records in another; concurrency is not bound by the worker pool; the daily limit
 * is exact; a worker stopped mid-call leaves no duplicate effect.
 */
class TwoPhaseDeliveryTest {
  private static final Duration BOUND = Duration.ofSeconds(60);

  /** An SMS provider in front of the outbox: records each call's key, and may block or refuse. */
  static final class Gate implements SmsProvider {
    SmsProvider outbox;
    final List<String> keys = new CopyOnWriteArrayList<>();
    final CountDownLatch entered = new CountDownLatch(1);
    volatile CountDownLatch release = new CountDownLatch(0);
    final AtomicInteger blockCalls = new AtomicInteger();
    volatile Predicate<OutgoingSms> refuse = sms -> false;
    volatile Predicate<OutgoingSms> unavailable = sms -> false;

    /** The first {@code n} calls wait until {@link #release} opens (interruptibly). */
    Gate blockFirst(int n) {
      blockCalls.set(n);
      release = new CountDownLatch(1);
      return this;
    }

    SmsProvider wrap(SmsProvider box) {
      outbox = box;
      return this;
    }

    @Override
    public String name() {
      return outbox.name();
    }

    @Override
    public SendResult send(OutgoingSms sms) {
      keys.add(sms.idempotencyKey());
      if (blockCalls.getAndDecrement() > 0) {
        entered.countDown();
        try {
          if (!release.await(BOUND.toSeconds(), TimeUnit.SECONDS)) {
            throw new ProviderException("the test never released the call", false);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ProviderException("interrupted while calling for communication " + sms.communicationId(), true, e);
        }
      }
      if (refuse.test(sms)) {
        throw new ProviderException("recipient unsubscribed", false);
      }
      if (unavailable.test(sms)) {
        throw new ProviderException("service unavailable", true);
      }
      return outbox.send(sms);
    }
  }

  private static long count(CommsFixture f, String sql) {
    return f.count(sql);
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_provider_call_holds_no_connection_and_no_row_lock(TestEngine engine) throws Exception {
    Gate gate = new Gate().blockFirst(1);
    // one worker-pool connection, and a short wait for it: a call holding it would starve the probe
    try (var f = new CommsFixture(engine, gate::wrap,
        c -> c.poolSize(PoolName.WORKER, 1, 0).poolTimeout(PoolName.WORKER, Duration.ofSeconds(5)))) {
      long user = f.user("ada@example.com").id();
      long id = f.comms.send(CommsFixture.sms(user, "hello")).id();
      f.startWorker();
      assertThat(gate.entered.await(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();

      assertThat(f.comms.communication(id).status()).isEqualTo(CommunicationStatus.SENDING);
      long reserved = f.db.fromTransaction(TransactionOptions.named("probe").withPool(PoolName.WORKER),
          s -> s.queryOne("SELECT COUNT(*) FROM daily_send_counts WHERE sends = 1", rs -> rs.getLong(1)).orElseThrow());
      assertThat(reserved).as("the worker pool's only connection is free during the call").isEqualTo(1);
      try (Connection c = f.testDb.rawConnection(); Statement st = c.createStatement()) {
        st.execute(engine == TestEngine.POSTGRESQL ? "SET lock_timeout = '3s'" : "SET LOCK_TIMEOUT 3000");
        c.setAutoCommit(false);
        assertThat(st.executeUpdate("UPDATE communication_preferences SET daily_limit = 11 WHERE user_id = " + user))
            .isEqualTo(1);
        st.executeQuery("SELECT id FROM communication_metrics WHERE id = " + id + " FOR UPDATE NOWAIT").close();
        st.executeQuery("SELECT user_id FROM daily_send_counts WHERE user_id = " + user + " FOR UPDATE NOWAIT").close();
        assertThat(st.executeUpdate("UPDATE user_engagement_metrics SET email_count = email_count WHERE user_id = "
            + user)).isEqualTo(1);
        c.commit();
      }
      assertThat(f.comms.updatePreferences(user, new PreferencesUpdate(null, null, null, null, 12, false))
          .dailyLimit()).isEqualTo(12);
      gate.release.countDown();

      Communication sent = awaitFinal(f, id);
      assertThat(sent.status()).isEqualTo(CommunicationStatus.SENT);
      assertThat(f.comms.engagement(user).smsCount()).isEqualTo(1);
      assertThat(f.comms.preferences(user).dailyLimit()).isEqualTo(12);
      assertThat(f.comms.preferences(user).lastSmsSent()).isEqualTo(CommsFixture.NOON_UTC);
      assertThat(f.outboxLines()).hasSize(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_thousand_sends_are_in_flight_at_once_on_a_worker_pool_of_four(TestEngine engine) throws Exception {
    Gate gate = new Gate();
    CountDownLatch all = new CountDownLatch(1000);
    SmsProvider barrier = new SmsProvider() {
      @Override
      public String name() {
        return gate.name();
      }

      @Override
      public SendResult send(OutgoingSms sms) {
        // passes only once a thousand calls wait here together: none of them may hold a connection
        all.countDown();
        try {
          if (!all.await(BOUND.toSeconds(), TimeUnit.SECONDS)) {
            throw new ProviderException("only " + (1000 - all.getCount()) + " calls were in flight at once", false);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ProviderException("interrupted", true, e);
        }
        return gate.send(sms);
      }
    };
    try (var f = new CommsFixture(engine, box -> {
      gate.wrap(box);
      return barrier;
    }, c -> c.poolSize(PoolName.WORKER, 4, 0))) {
      List<SendRequest> requests = new ArrayList<>();
      for (int u = 0; u < 100; u++) {
        long user = f.user("u" + u + "@example.com").id();
        for (int k = 0; k < 10; k++) {
          requests.add(CommsFixture.sms(user, "message " + k));
        }
      }
      f.comms.sendBatch(requests);
      f.startWorker(b -> b.queue(CommunicationService.QUEUE, 1000));

      await().atMost(BOUND).until(() -> count(f, "SELECT COUNT(*) FROM communication_metrics WHERE status = 'sent'")
          == 1000);
      assertThat(f.db.pools().metrics(PoolName.WORKER).maxSize()).isEqualTo(4);
      assertThat(f.outboxLines()).hasSize(1000);
      assertThat(gate.keys).doesNotHaveDuplicates().hasSize(1000);
      assertThat(count(f, "SELECT SUM(sms_count) FROM user_engagement_metrics")).isEqualTo(1000);
      assertThat(count(f, "SELECT SUM(sends) FROM daily_send_counts")).isEqualTo(1000);
      await().atMost(BOUND).until(() -> count(f, "SELECT COUNT(*) FROM mingus_tasks WHERE state = 'succeeded'")
          == 1000);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void the_daily_limit_is_exact_under_200_concurrent_sends_to_one_user(TestEngine engine) {
    try (var f = new CommsFixture(engine)) {
      long user = f.user("busy@example.com").id();
      f.comms.updatePreferences(user, new PreferencesUpdate(null, null, null, null, 37, false));
      List<SendRequest> requests = new ArrayList<>();
      for (int k = 0; k < 200; k++) {
        requests.add(CommsFixture.sms(user, "message " + k));
      }
      f.comms.sendBatch(requests);
      // two workers race for the same user's counter, in claims of their own
      f.startWorker(b -> b.id("a").queue(CommunicationService.QUEUE, 100));
      f.startWorker(b -> b.id("b").queue(CommunicationService.QUEUE, 100));

      await().atMost(BOUND).until(() -> count(f, "SELECT COUNT(*) FROM communication_metrics WHERE status IN"
          + " ('sent', 'suppressed')") == 200);
      assertThat(count(f, "SELECT COUNT(*) FROM communication_metrics WHERE status = 'sent'")).isEqualTo(37);
      assertThat(count(f, "SELECT COUNT(*) FROM communication_metrics WHERE status = 'suppressed'"
          + " AND error = 'daily limit: 37 sent today, the limit is 37'")).isEqualTo(163);
      assertThat(count(f, "SELECT sends FROM daily_send_counts WHERE user_id = " + user)).isEqualTo(37);
      assertThat(f.comms.engagement(user).smsCount()).isEqualTo(37);
      assertThat(f.outboxLines()).hasSize(37);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_refused_send_gives_its_slot_back_and_a_retried_one_keeps_its_own(TestEngine engine) {
    Gate gate = new Gate();
    AtomicInteger outage = new AtomicInteger(2);
    gate.refuse = sms -> sms.body().equals("refuse me");
    gate.unavailable = sms -> sms.body().equals("retry me") && outage.getAndDecrement() > 0;
    try (var f = new CommsFixture(engine, gate::wrap)) {
      long user = f.user("one@example.com").id();
      f.comms.updatePreferences(user, new PreferencesUpdate(null, null, null, null, 1, false));
      f.startWorker();

      Communication refused = awaitFinal(f, f.comms.send(CommsFixture.sms(user, "refuse me")).id());
      assertThat(refused.status()).isEqualTo(CommunicationStatus.FAILED);
      assertThat(refused.error()).isEqualTo("provider refused: recipient unsubscribed");
      assertThat(count(f, "SELECT sends FROM daily_send_counts WHERE user_id = " + user)).isZero();

      long retried = f.comms.send(CommsFixture.sms(user, "retry me")).id();
      assertThat(awaitFinal(f, retried).status()).isEqualTo(CommunicationStatus.SENT);
      assertThat(gate.keys.stream().filter(k -> k.equals(Long.toString(retried)))).hasSize(3);
      assertThat(count(f, "SELECT sends FROM daily_send_counts WHERE user_id = " + user))
          .as("reserved once for its three calls").isEqualTo(1);
      Communication over = awaitFinal(f, f.comms.send(CommsFixture.sms(user, "one too many")).id());
      assertThat(over.status()).isEqualTo(CommunicationStatus.SUPPRESSED);
      assertThat(over.error()).isEqualTo("daily limit: 1 sent today, the limit is 1");
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_worker_killed_mid_call_leaves_no_duplicate_effect_and_the_send_ends_sent_after_rescue(TestEngine engine)
      throws Exception {
    Gate gate = new Gate().blockFirst(1);
    try (var f = new CommsFixture(engine, gate::wrap)) {
      long user = f.user("ada@example.com").id();
      long id = f.comms.send(CommsFixture.sms(user, "hello")).id();
      Worker a = f.startWorker(b -> b.id("a").rescueAfter(Duration.ofSeconds(2))
          .heartbeatInterval(Duration.ofMillis(200)));
      assertThat(gate.entered.await(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThat(f.comms.communication(id).status()).isEqualTo(CommunicationStatus.SENDING);

      WorkerFaults.kill(a);
      long task = f.comms.communication(id).taskId();
      assertThat(f.queue.admin().find(task).orElseThrow().state()).isEqualTo(TaskState.RUNNING);
      f.startWorker(b -> b.id("b").rescueAfter(Duration.ofSeconds(2)).heartbeatInterval(Duration.ofMillis(200)));

      Communication sent = awaitFinal(f, id);
      assertThat(sent.status()).isEqualTo(CommunicationStatus.SENT);
      assertThat(f.queue.admin().find(task).orElseThrow().lastErrorKind()).isEqualTo(FailureKind.RESCUED);
      assertThat(gate.keys).as("called again with the same idempotency key").containsExactly("" + id, "" + id);
      assertThat(f.outboxLines()).hasSize(1);
      assertThat(f.comms.engagement(user).smsCount()).isEqualTo(1);
      assertThat(count(f, "SELECT sends FROM daily_send_counts WHERE user_id = " + user)).isEqualTo(1);
      await().atMost(BOUND).until(() -> f.queue.admin().find(task).orElseThrow().state() == TaskState.SUCCEEDED);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_worker_stopped_mid_call_gives_the_send_back_and_the_next_worker_sends_it_once(TestEngine engine)
      throws Exception {
    Gate gate = new Gate().blockFirst(1);
    try (var f = new CommsFixture(engine, gate::wrap)) {
      long user = f.user("ada@example.com").id();
      long id = f.comms.send(CommsFixture.sms(user, "hello")).id();
      Worker a = f.startWorker(b -> b.id("a").shutdownTimeout(Duration.ofMillis(200)));
      assertThat(gate.entered.await(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();

      a.close();
      long task = f.comms.communication(id).taskId();
      assertThat(f.queue.admin().find(task).orElseThrow().state()).isEqualTo(TaskState.QUEUED);
      assertThat(f.comms.communication(id).status()).isEqualTo(CommunicationStatus.SENDING);
      f.startWorker(b -> b.id("b"));

      assertThat(awaitFinal(f, id).status()).isEqualTo(CommunicationStatus.SENT);
      assertThat(gate.keys).containsExactly("" + id, "" + id);
      assertThat(f.outboxLines()).hasSize(1);
      assertThat(f.comms.engagement(user).smsCount()).isEqualTo(1);
      assertThat(count(f, "SELECT sends FROM daily_send_counts WHERE user_id = " + user)).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_send_whose_worker_died_on_its_last_attempt_ends_failed_and_gives_its_slot_back(TestEngine engine)
      throws Exception {
    Gate gate = new Gate().blockFirst(1);
    try (var f = new CommsFixture(engine, gate::wrap)) {
      long user = f.user("ada@example.com").id();
      long id = f.comms.send(CommsFixture.sms(user, "hello")).id();
      long task = f.comms.communication(id).taskId();
      f.db.inTransaction(s -> s.update("UPDATE mingus_tasks SET max_attempts = 1 WHERE id = ?", task));
      Worker a = f.startWorker(b -> b.id("a").rescueAfter(Duration.ofSeconds(2))
          .heartbeatInterval(Duration.ofMillis(200)));
      assertThat(gate.entered.await(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();

      WorkerFaults.kill(a);
      f.startWorker(b -> b.id("b").rescueAfter(Duration.ofSeconds(2)).heartbeatInterval(Duration.ofMillis(200)));

      Communication failed = awaitFinal(f, id);
      assertThat(failed.status()).isEqualTo(CommunicationStatus.FAILED);
      assertThat(failed.error()).isEqualTo("delivery failed for good (RESCUED)");
      assertThat(f.queue.admin().find(task).orElseThrow().state()).isEqualTo(TaskState.FAILED);
      assertThat(count(f, "SELECT sends FROM daily_send_counts WHERE user_id = " + user)).isZero();
      assertThat(f.comms.engagement(user).smsCount()).isZero();
    }
  }
}
