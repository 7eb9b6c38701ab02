package io.mingus.tasks.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class RateLimitsTest {
  private final AtomicReference<Instant> now = new AtomicReference<>(StoreFixture.t0());

  private void advance(Duration d) {
    now.updateAndGet(t -> t.plus(d));
  }

  @Test
  void a_limited_name_holds_one_seconds_burst_and_refills_by_the_clock() {
    RateLimits limits = new RateLimits(Map.of("sms", 2.0), now::get);

    assertThat(limits.admit("sms")).isTrue();
    assertThat(limits.admit("sms")).isTrue();
    assertThat(limits.admit("sms")).isFalse();
    assertThat(limits.untilNext("sms")).isEqualTo(Duration.ofMillis(500));

    advance(Duration.ofMillis(499));
    assertThat(limits.admit("sms")).isFalse();
    advance(Duration.ofMillis(1));
    assertThat(limits.admit("sms")).isTrue();
    advance(Duration.ofHours(1));
    assertThat(limits.admit("sms") && limits.admit("sms")).isTrue();
    assertThat(limits.admit("sms")).as("the burst never exceeds one second's worth").isFalse();
  }

  @Test
  void an_empty_limit_leaves_its_name_out_of_claims_and_others_in() {
    RateLimits limits = new RateLimits(Map.of("sms", 1.0), now::get);
    assertThat(limits.claimable(List.of("sms", "email"))).containsExactly("sms", "email");
    limits.admit("sms");

    assertThat(limits.claimable(List.of("sms", "email"))).containsExactly("email");
    assertThat(limits.admit("email")).as("not limited").isTrue();
    assertThat(limits.untilNext("email")).isZero();
  }

  @Test
  void an_idle_lane_waits_no_longer_than_the_next_token() {
    RateLimits limits = new RateLimits(Map.of("sms", 4.0, "push", 0.5), now::get);
    assertThat(limits.nextWait(Duration.ofSeconds(1))).as("every token there").isEqualTo(Duration.ofSeconds(1));

    for (int i = 0; i < 4; i++) {
      limits.admit("sms");
    }
    limits.admit("push");
    assertThat(limits.nextWait(Duration.ofSeconds(1))).isEqualTo(Duration.ofMillis(250));
    assertThat(limits.nextWait(Duration.ofMillis(100))).isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void a_rate_below_one_a_second_still_holds_one_token() {
    TokenBucket bucket = new TokenBucket(0.5, now::get);
    assertThat(bucket.tryTake()).isTrue();
    assertThat(bucket.untilNext()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void a_rate_that_is_not_positive_and_finite_is_refused() {
    assertThatThrownBy(() -> new TokenBucket(0, now::get)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("positive number of tasks per second, was 0.0");
    assertThatThrownBy(() -> new TokenBucket(Double.POSITIVE_INFINITY, now::get))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
