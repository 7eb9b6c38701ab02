package io.mingus.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
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

  /** An expression, its zone, a now, and the tick expected: the latest at or before now. */
  record Row(String cron, String zone, String now, String tick, String why) {}

  @Test
  void a_table_of_expressions_zones_and_daylight_saving_transitions_gives_the_expected_ticks() {
    List<Row> table = List.of(
        new Row("*/5 * * * *", "UTC", "2026-03-02T10:07:59Z", "2026-03-02T10:05:00Z", "steps"),
        new Row("0 9 * * *", "America/New_York", "2026-01-15T15:00:00Z", "2026-01-15T14:00:00Z", "EST is UTC-5"),
        new Row("0 9 * * *", "America/New_York", "2026-07-15T15:00:00Z", "2026-07-15T13:00:00Z", "EDT is UTC-4"),
        new Row("0 9 * * *", "Asia/Kolkata", "2026-07-15T04:00:00Z", "2026-07-15T03:30:00Z", "a half-hour offset"),
        // cronie's day rule: a day field starting with * is not a restriction, so both must match
        new Row("0 0 */2 * MON", "UTC", "2026-03-12T12:00:00Z", "2026-03-09T00:00:00Z", "odd-dated Mondays only"),
        new Row("0 0 */2 * MON", "UTC", "2026-03-20T12:00:00Z", "2026-03-09T00:00:00Z", "Mar 16 is even"),
        new Row("0 0 1 * MON", "UTC", "2026-03-03T12:00:00Z", "2026-03-02T00:00:00Z", "both restricted: either"),
        new Row("0 0 1-7 * */7", "UTC", "2026-03-20T00:00:00Z", "2026-03-01T00:00:00Z", "*/7 is a star: 1st Sunday"),
        new Row("0 0 29 2 *", "UTC", "2026-03-02T10:00:00Z", "2024-02-29T00:00:00Z", "leap days only"),
        // spring forward in Berlin, 2026-03-29 02:00 CET -> 03:00 CEST: 02:30 is skipped, it fires at the jump
        new Row("30 2 * * *", "Europe/Berlin", "2026-03-29T01:05:00Z", "2026-03-29T01:00:00Z", "skipped time: at the jump"),
        new Row("30 2 * * *", "Europe/Berlin", "2026-03-29T00:59:00Z", "2026-03-28T01:30:00Z", "before the jump"),
        new Row("30 3 * * *", "Europe/Berlin", "2026-03-29T01:45:00Z", "2026-03-29T01:30:00Z", "03:30 CEST"),
        new Row("*/15 * * * *", "Europe/Berlin", "2026-03-29T01:05:00Z", "2026-03-29T01:00:00Z", "03:00 CEST"),
        // fall back, 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens twice
        new Row("30 2 * * *", "Europe/Berlin", "2026-10-25T01:45:00Z", "2026-10-25T00:30:00Z", "a fixed time: first pass"),
        new Row("30 2 * * *", "Europe/Berlin", "2026-10-25T00:45:00Z", "2026-10-25T00:30:00Z", "inside the first pass"),
        new Row("*/15 * * * *", "Europe/Berlin", "2026-10-25T01:20:00Z", "2026-10-25T01:15:00Z", "every hour: both passes"),
        new Row("0 0 * * *", "America/Sao_Paulo", "2026-06-01T04:00:00Z", "2026-06-01T03:00:00Z", "no DST since 2019"),
        new Row("0 1 * * *", "America/New_York", "2026-11-01T07:00:00Z", "2026-11-01T05:00:00Z", "01:00 EDT, first pass"),
        new Row("0 2 * * *", "America/New_York", "2026-03-08T08:00:00Z", "2026-03-08T07:00:00Z", "02:00 skipped: 03:00 EDT"));
    for (Row row : table) {
      assertThat(Cron.parse(row.cron(), ZoneId.of(row.zone())).latest(Instant.parse(row.now())))
          .as(row.cron() + " in " + row.zone() + " at " + row.now() + " (" + row.why() + ")")
          .isEqualTo(Instant.parse(row.tick()));
    }
  }

  @Test
  void an_expression_that_never_matches_is_refused_when_parsed() {
    for (String never : List.of("0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30,31 FEB *")) {
      assertThatThrownBy(() -> Cron.parse(never, ZoneOffset.UTC)).as(never)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("never matches");
    }
    assertThat(Cron.parse("0 0 31 * *", ZoneOffset.UTC)).isNotNull();
    assertThat(Cron.parse("0 0 30 2 MON", ZoneOffset.UTC)).as("either day: every Monday of February").isNotNull();
  }
}
