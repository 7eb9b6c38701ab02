package io.mingus.db.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProbeScheduleTest {
  private final ProbeSchedule schedule = new ProbeSchedule(Duration.ofSeconds(60));

  @Test
  void the_first_probe_comes_after_a_quarter_second_jittered_by_a_fifth() {
    assertThat(schedule.delay(0, () -> 0.5)).isEqualTo(Duration.ofMillis(250));
    assertThat(schedule.delay(0, () -> 0.0)).isEqualTo(Duration.ofMillis(200));
    assertThat(schedule.delay(0, () -> 0.999_999)).isBetween(Duration.ofMillis(299), Duration.ofMillis(300));
  }

  @Test
  void each_failed_probe_makes_the_next_wait_longer_by_two_fifths() {
    Duration previous = Duration.ZERO;
    for (int failed = 0; failed < 10; failed++) {
      Duration d = schedule.delay(failed, () -> 0.5);
      assertThat(d).isGreaterThan(previous);
      assertThat(d.toNanos()).isCloseTo((long) (250_000_000 * Math.pow(1.4, failed)), org.assertj.core.data.Offset
          .offset(1_000L));
      previous = d;
    }
  }

  @Test
  void a_three_second_outage_is_probed_at_least_every_two_seconds() {
    // The worst case: the longest gap whose probe could be the last failing one before a restore
    // at 3 s (the highest jitter everywhere).
    long elapsed = 0;
    int failed = 0;
    while (elapsed < Duration.ofSeconds(3).toNanos()) {
      elapsed += schedule.delay(failed++, () -> 0.999_999).toNanos();
    }
    Duration gap = schedule.delay(failed - 1, () -> 0.999_999);
    assertThat(gap).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void no_delay_exceeds_the_cap_the_recovery_timeout() {
    ProbeSchedule short_ = new ProbeSchedule(Duration.ofSeconds(1));
    assertThat(short_.delay(40, () -> 0.999_999)).isEqualTo(Duration.ofSeconds(1));
    assertThat(schedule.delay(1_000, () -> 0.999_999)).isEqualTo(Duration.ofSeconds(60));
    assertThat(new ProbeSchedule(Duration.ofMillis(100)).delay(0, () -> 0.5)).isEqualTo(Duration.ofMillis(100));
  }
}
