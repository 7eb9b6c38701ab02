package io.mingus.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class CronTest {

  private static Instant latest(String cron, String now) {
    return Cron.parse(cron, ZoneOffset.UTC).latest(Instant.parse(now));
  }

  @Test
  void every_fifteen_minutes_falls_back_to_the_quarter_hour() {
    assertThat(latest("*/15 * * * *", "2026-03-02T10:07:59Z")).isEqualTo(Instant.parse("2026-03-02T10:00:00Z"));
    assertThat(latest("*/15 * * * *", "2026-03-02T10:45:00Z")).isEqualTo(Instant.parse("2026-03-02T10:45:00Z"));
  }

  @Test
  void weekdays_at_nine_skip_the_weekend() {
    // 2026-03-07 is a Saturday
    assertThat(latest("0 9 * * MON-FRI", "2026-03-07T12:00:00Z")).isEqualTo(Instant.parse("2026-03-06T09:00:00Z"));
  }

  @Test
  void february_the_29th_is_found_years_back() {
    assertThat(latest("0 0 29 2 *", "2026-03-02T10:00:00Z")).isEqualTo(Instant.parse("2024-02-29T00:00:00Z"));
  }

  @Test
  void both_day_fields_restricted_match_either_day() {
    // the 1st of the month or any Monday; 2026-03-02 is a Monday
    assertThat(latest("30 6 1 * 1", "2026-03-02T07:00:00Z")).isEqualTo(Instant.parse("2026-03-02T06:30:00Z"));
    assertThat(latest("30 6 1 * 1", "2026-03-01T07:00:00Z")).isEqualTo(Instant.parse("2026-03-01T06:30:00Z"));
  }

  @Test
  void macros_lists_and_sunday_as_seven_are_accepted() {
    assertThat(latest("@daily", "2026-03-02T10:00:00Z")).isEqualTo(Instant.parse("2026-03-02T00:00:00Z"));
    assertThat(latest("5,35 */6 * JAN-DEC 7", "2026-03-02T10:00:00Z")).isEqualTo(Instant.parse("2026-03-01T18:35:00Z"));
  }

  @Test
  void a_bad_expression_is_refused_with_the_field_and_the_allowed_form() {
    assertThatThrownBy(() -> Cron.parse("61 * * * *", ZoneOffset.UTC))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minute field '61'")
        .hasMessageContaining("0 to 59");
    assertThatThrownBy(() -> Cron.parse("* * *", ZoneOffset.UTC))
        .hasMessageContaining("has 3 fields; write five");
  }
}
