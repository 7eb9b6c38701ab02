package io.mingus.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mingus.db.RetryPolicy;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {
  private final Tasks.Witness witness = new Tasks.Witness();
  private final Tasks.Noop noop = new Tasks.Noop();

  @Test
  void the_defaults_are_the_named_constants() {
    WorkerConfig c = WorkerConfig.custom().register(witness).build();

    assertThat(c.tasks()).containsOnlyKeys("test.witness");
    assertThat(c.queues()).isEqualTo(Map.of(WorkerConfig.DEFAULT_QUEUE, WorkerConfig.DEFAULT_CONCURRENCY));
    assertThat(c.claimAhead()).isEqualTo(WorkerConfig.DEFAULT_CLAIM_AHEAD);
    assertThat(c.readyBuffer(4)).isEqualTo(WorkerConfig.CLAIM_AHEAD_FACTOR * 4);
    assertThat(c.pollInterval()).isEqualTo(WorkerConfig.DEFAULT_POLL_INTERVAL);
    assertThat(c.heartbeatInterval()).isEqualTo(WorkerConfig.DEFAULT_HEARTBEAT_INTERVAL);
    assertThat(c.rescueAfter()).isEqualTo(WorkerConfig.DEFAULT_RESCUE_AFTER);
    assertThat(c.shutdownTimeout()).isEqualTo(WorkerConfig.DEFAULT_SHUTDOWN_TIMEOUT);
    assertThat(c.retryPolicy()).isEqualTo(WorkerConfig.DEFAULT_RETRY_POLICY);
    assertThat(c.rateLimits()).isEmpty();
    assertThat(c.schedules()).isEmpty();
    assertThat(c.clock()).as("the queue's").isNull();
    assertThat(c.id()).as("generated per worker").isNull();
    assertThat(WorkerConfig.DEFAULT_HEARTBEAT_INTERVAL).isLessThan(WorkerConfig.DEFAULT_RESCUE_AFTER);
  }

  @Test
  void every_setting_is_kept_and_the_queues_keep_their_order() {
    InstantSource clock = InstantSource.fixed(Fixture.t0());
    RetryPolicy policy = RetryPolicy.of(3, Duration.ofMillis(10));
    WorkerConfig c = WorkerConfig.custom().register(witness, noop).queue("mail", 8).queue("bulk", 1).queue("sms", 2)
        .claimAhead(false).pollInterval(Duration.ofMillis(50)).heartbeatInterval(Duration.ofSeconds(2))
        .rescueAfter(Duration.ofSeconds(12)).shutdownTimeout(Duration.ofSeconds(3)).retryPolicy(policy)
        .rateLimit("test.noop", 2.5).schedule("nightly", "0 3 * * *", noop, () -> new Tasks.N(1))
        .clock(clock).id("w-1").build();

    assertThat(c.queues().keySet()).containsExactly("mail", "bulk", "sms");
    assertThat(c.readyBuffer(8)).isZero();
    assertThat(c.pollInterval()).isEqualTo(Duration.ofMillis(50));
    assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.rescueAfter()).isEqualTo(Duration.ofSeconds(12));
    assertThat(c.shutdownTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(c.retryPolicy()).isSameAs(policy);
    assertThat(c.rateLimits()).isEqualTo(Map.of("test.noop", 2.5));
    assertThat(c.schedules()).extracting(WorkerConfig.Schedule::name).containsExactly("nightly");
    assertThat(c.clock()).isSameAs(clock);
    assertThat(c.id()).isEqualTo("w-1");
  }

  @Test
  void the_worker_builder_takes_the_same_settings() {
    try (Fixture f = Fixture.open(io.mingus.db.TestEngine.H2)) {
      Worker w = Worker.builder(f.db, f.queue).register(witness).queue("mail", 3).id("w-2").build();
      assertThat(w.id()).isEqualTo("w-2");
      assertThat(w.config().queues()).isEqualTo(Map.of("mail", 3));
      w.close();

      Worker generated = Worker.create(f.db, f.queue, WorkerConfig.custom().register(witness).build());
      assertThat(generated.id()).matches(".+-\\d+-[0-9a-f]{8}");
      generated.close();
    }
  }

  @Test
  void bad_settings_are_refused_with_the_rule_they_break() {
    WorkerConfig.Builder b = WorkerConfig.custom();
    assertThatThrownBy(() -> b.queue("mail", 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("concurrency of queue 'mail' must be 1 to 10000, was 0");
    assertThatThrownBy(() -> b.pollInterval(Duration.ZERO)).hasMessage("pollInterval must be positive, was PT0S");
    assertThatThrownBy(() -> b.rateLimit("x", -1)).hasMessageContaining("positive number of tasks per second");
    assertThatThrownBy(() -> b.id(" ")).hasMessageContaining("a worker id must be 1 to 200 characters");
    assertThatThrownBy(() -> b.schedule("s", "61 * * * *", noop, () -> new Tasks.N(1)))
        .hasMessageContaining("minute field '61'");
    assertThatThrownBy(() -> b.register(noop, new Tasks.Blocking("test.noop")))
        .hasMessageContaining("two tasks are named 'test.noop'");
  }

  @Test
  void a_configuration_that_cannot_work_is_refused_when_built() {
    assertThatThrownBy(() -> WorkerConfig.custom().build()).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a worker needs at least one task: call register(...)");
    assertThatThrownBy(() -> WorkerConfig.custom().register(witness).rateLimit("test.noop", 1).build())
        .hasMessageContaining("rate limit for task 'test.noop', which is not registered");
    assertThatThrownBy(() -> WorkerConfig.custom().register(witness).heartbeatInterval(Duration.ofSeconds(60))
        .build()).hasMessageContaining("heartbeatInterval (60000 ms) must be shorter than rescueAfter (60000 ms)");
    assertThatThrownBy(() -> WorkerConfig.custom().register(noop).schedule("s", "@daily", noop, () -> new Tasks.N(1))
        .schedule("s", "@hourly", noop, () -> new Tasks.N(2))).hasMessage("schedule 's' is defined twice");
  }

  @Test
  void the_record_checks_what_the_builder_cannot_see() {
    WorkerConfig valid = WorkerConfig.custom().register(witness).build();
    assertThatThrownBy(() -> new WorkerConfig(Map.of("other.name", witness), valid.queues(), true,
        valid.pollInterval(), valid.heartbeatInterval(), valid.rescueAfter(), valid.shutdownTimeout(),
        valid.retryPolicy(), Map.of(), List.of(), null, null, valid.random()))
        .hasMessageContaining("is registered as 'other.name' but is named 'test.witness'");
    assertThatThrownBy(() -> new WorkerConfig(valid.tasks(), Map.of(), true, valid.pollInterval(),
        valid.heartbeatInterval(), valid.rescueAfter(), valid.shutdownTimeout(), valid.retryPolicy(), Map.of(),
        List.of(), null, null, valid.random())).hasMessageContaining("at least one queue");
    assertThatThrownBy(() -> new WorkerConfig(valid.tasks(), valid.queues(), true, valid.pollInterval(),
        valid.heartbeatInterval(), valid.rescueAfter(), valid.shutdownTimeout(), valid.retryPolicy(), Map.of(),
        List.of(new WorkerConfig.Schedule<>("s", "@daily", noop, () -> new Tasks.N(1), TaskOptions.defaults())), null,
        null, valid.random())).hasMessageContaining("enqueues task 'test.noop', which is not registered");
  }

  @Test
  void an_impossible_schedule_is_refused_when_the_worker_is_built() {
    assertThatThrownBy(() -> WorkerConfig.custom().schedule("feb30", "0 0 30 2 *", noop, () -> new Tasks.N(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("schedule 'feb30'")
        .hasMessageContaining("never matches");
    WorkerConfig zoned = WorkerConfig.custom().schedule("berlin", "30 2 * * *", java.time.ZoneId.of("Europe/Berlin"),
        noop, () -> new Tasks.N(1)).build();
    assertThat(zoned.schedules().getFirst().zone()).isEqualTo(java.time.ZoneId.of("Europe/Berlin"));
  }
}
