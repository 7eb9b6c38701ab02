package io.mingus.comms.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.mingus.comms.Channel;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class PreferenceRulesTest {
  private static PreferenceRules quiet(String start, String end) {
    return new PreferenceRules(true, true, LocalTime.parse(start), LocalTime.parse(end), 10);
  }

  @Test
  void a_window_within_one_day_covers_its_start_but_not_its_end() {
    PreferenceRules r = quiet("13:00", "15:00");
    assertThat(r.inQuietHours(LocalTime.parse("12:59"))).isFalse();
    assertThat(r.inQuietHours(LocalTime.parse("13:00"))).isTrue();
    assertThat(r.inQuietHours(LocalTime.parse("14:59"))).isTrue();
    assertThat(r.inQuietHours(LocalTime.parse("15:00"))).isFalse();
  }

  @Test
  void a_window_that_wraps_midnight_covers_both_sides_of_it() {
    PreferenceRules r = quiet("22:00", "07:00");
    assertThat(r.inQuietHours(LocalTime.parse("21:59"))).isFalse();
    assertThat(r.inQuietHours(LocalTime.parse("22:00"))).isTrue();
    assertThat(r.inQuietHours(LocalTime.parse("23:59"))).isTrue();
    assertThat(r.inQuietHours(LocalTime.parse("00:00"))).isTrue();
    assertThat(r.inQuietHours(LocalTime.parse("06:59"))).isTrue();
    assertThat(r.inQuietHours(LocalTime.parse("07:00"))).isFalse();
    assertThat(r.inQuietHours(LocalTime.parse("12:00"))).isFalse();
  }

  @Test
  void quiet_hours_are_read_in_the_users_zone() {
    PreferenceRules r = quiet("22:00", "07:00");
    Instant noonUtc = Instant.parse("2026-03-02T12:00:00Z");
    assertThat(r.forbids(Channel.SMS, noonUtc, ZoneId.of("UTC"))).isEmpty();
    // 21:00 in Tokyo: not yet quiet; 23:00 in Tokyo (14:00 UTC): quiet
    assertThat(r.forbids(Channel.SMS, Instant.parse("2026-03-02T12:00:00Z"), ZoneId.of("Asia/Tokyo"))).isEmpty();
    assertThat(r.forbids(Channel.SMS, Instant.parse("2026-03-02T14:00:00Z"), ZoneId.of("Asia/Tokyo")))
        .hasValueSatisfying(reason -> assertThat(reason).startsWith("quiet hours").contains("Asia/Tokyo"));
  }

  @Test
  void a_disabled_channel_is_an_opt_out_and_the_other_channel_is_free() {
    PreferenceRules r = new PreferenceRules(false, true, null, null, 10);
    assertThat(r.forbids(Channel.SMS, Instant.EPOCH, ZoneId.of("UTC")))
        .hasValueSatisfying(reason -> assertThat(reason).startsWith("opted out").contains("sms"));
    assertThat(r.forbids(Channel.EMAIL, Instant.EPOCH, ZoneId.of("UTC"))).isEmpty();
  }

  @Test
  void the_daily_limit_allows_up_to_the_limit() {
    PreferenceRules r = new PreferenceRules(true, true, null, null, 2);
    assertThat(r.limitReached(1)).isEmpty();
    assertThat(r.limitReached(2)).hasValueSatisfying(reason -> assertThat(reason).contains("limit is 2"));
  }

  @Test
  void the_day_starts_at_local_midnight() {
    Instant t = Instant.parse("2026-03-02T02:00:00Z");
    assertThat(PreferenceRules.startOfDay(t, ZoneId.of("UTC"))).isEqualTo(Instant.parse("2026-03-02T00:00:00Z"));
    // 02:00 UTC is still March 1st, 21:00, in New York (EST, UTC-5)
    assertThat(PreferenceRules.startOfDay(t, ZoneId.of("America/New_York")))
        .isEqualTo(Instant.parse("2026-03-01T05:00:00Z"));
  }
}
