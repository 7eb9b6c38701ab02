package io.mingus.comms;

import static io.mingus.comms.SendTest.awaitFinal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mingus.db.TestEngine;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

// also run through PgBouncer in transaction pooling: the pgbouncer execution of the module's pom
@org.junit.jupiter.api.Tag("pgbouncer")
class SuppressionTest {

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void an_opted_out_channel_and_quiet_hours_in_the_users_zone_suppress_with_the_reason(TestEngine engine) {
    try (var f = new CommsFixture(engine)) {
      // 14:00 UTC is 23:00 in Tokyo: inside 22:00-07:00 there, not in London.
      f.clock.set(Instant.parse("2026-03-02T14:00:00Z"));
      long optedOut = f.user("out@example.com", "UTC").id();
      f.comms.updatePreferences(optedOut, new PreferencesUpdate(false, null, null, null, null, false));
      var quiet = new PreferencesUpdate(null, null, LocalTime.of(22, 0), LocalTime.of(7, 0), null, false);
      long tokyo = f.user("tokyo@example.com", "Asia/Tokyo").id();
      f.comms.updatePreferences(tokyo, quiet);
      long london = f.user("london@example.com", "Europe/London").id();
      f.comms.updatePreferences(london, quiet);

      long a = f.comms.send(CommsFixture.sms(optedOut, "a")).id();
      long email = f.comms.send(new SendRequest(optedOut, Channel.EMAIL, "e", "s", null, null)).id();
      long b = f.comms.send(CommsFixture.sms(tokyo, "b")).id();
      long c = f.comms.send(CommsFixture.sms(london, "c")).id();
      f.startWorker();

      Communication out = awaitFinal(f, a);
      assertThat(out.status()).isEqualTo(CommunicationStatus.SUPPRESSED);
      assertThat(out.error()).startsWith("opted out: sms is disabled");
      assertThat(out.sentAt()).isNull();
      assertThat(awaitFinal(f, email).status()).isEqualTo(CommunicationStatus.SENT);
      Communication night = awaitFinal(f, b);
      assertThat(night.status()).isEqualTo(CommunicationStatus.SUPPRESSED);
      assertThat(night.error()).isEqualTo("quiet hours: 23:00 in Asia/Tokyo is within 22:00-07:00");
      assertThat(awaitFinal(f, c).status()).isEqualTo(CommunicationStatus.SENT);

      assertThat(f.comms.engagement(tokyo).totalCommunications()).isZero();
      assertThat(f.comms.engagement(optedOut)).isEqualTo(new Engagement(optedOut, 1, 0, 1, f.clock.instant()));
      assertThat(f.comms.preferences(tokyo).lastSmsSent()).isNull();
      assertThat(f.outboxLines()).hasSize(2);

      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(outcomes(f, "sms", "suppressed")).isEqualTo(2);
        assertThat(outcomes(f, "sms", "sent")).isEqualTo(1);
        assertThat(outcomes(f, "email", "sent")).isEqualTo(1);
      });
      assertThat(outcomes(f, "email", "failed")).isZero();
      assertThat(f.comms.engagementSummary()).isEqualTo(new EngagementSummary(3, 2, 2, 1, 1));
    }
  }

  /** The mingus.comms.outcomes counter of one channel and status. */
  static double outcomes(CommsFixture f, String channel, String status) {
    return f.db.meterRegistry().get("mingus.comms.outcomes").tags("channel", channel, "status", status).counter()
        .count();
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void the_daily_limit_counts_sends_since_local_midnight(TestEngine engine) {
    try (var f = new CommsFixture(engine)) {
      // 04:00 UTC on March 2nd is 23:00 on March 1st in New York.
      f.clock.set(Instant.parse("2026-03-02T04:00:00Z"));
      long user = f.user("ny@example.com", "America/New_York").id();
      f.comms.updatePreferences(user, new PreferencesUpdate(null, null, null, null, 2, false));
      f.startWorker();

      assertThat(awaitFinal(f, f.comms.send(CommsFixture.sms(user, "1")).id()).status())
          .isEqualTo(CommunicationStatus.SENT);
      assertThat(awaitFinal(f, f.comms.send(new SendRequest(user, Channel.EMAIL, "2", "s", null, null)).id())
          .status()).isEqualTo(CommunicationStatus.SENT);
      Communication third = awaitFinal(f, f.comms.send(CommsFixture.sms(user, "3")).id());
      assertThat(third.status()).isEqualTo(CommunicationStatus.SUPPRESSED);
      assertThat(third.error()).isEqualTo("daily limit: 2 sent today, the limit is 2");

      // Two hours later it is March 2nd in New York (still March 2nd in UTC): a new day.
      f.clock.advance(Duration.ofHours(2));
      assertThat(awaitFinal(f, f.comms.send(CommsFixture.sms(user, "4")).id()).status())
          .isEqualTo(CommunicationStatus.SENT);
      assertThat(f.comms.engagement(user).totalCommunications()).isEqualTo(3);
    }
  }
}
