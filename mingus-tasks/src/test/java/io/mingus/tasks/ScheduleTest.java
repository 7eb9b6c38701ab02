package io.mingus.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mingus.db.TestEngine;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ScheduleTest {

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_schedule_on_three_workers_enqueues_each_tick_once(TestEngine engine) {
    SettableClock clock = new SettableClock(Instant.parse("2026-03-02T10:00:30Z"));
    try (Fixture f = Fixture.open(engine, clock)) {
      Tasks.Noop noop = new Tasks.Noop();
      for (String id : new String[] {"w1", "w2", "w3"}) {
        f.start(f.worker(id).schedule("minutely", "* * * * *", noop, () -> new Tasks.N(0)));
      }

      await().atMost(Duration.ofSeconds(20)).until(() -> f.tasksIn(TaskState.SUCCEEDED) == 1);
      clock.set(Instant.parse("2026-03-02T10:01:05Z"));
      await().atMost(Duration.ofSeconds(20)).until(() -> f.tasksIn(TaskState.SUCCEEDED) == 2);
      clock.set(Instant.parse("2026-03-02T10:01:50Z"));
      await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
          .until(() -> f.count("SELECT COUNT(*) FROM mingus_tasks") == 2);

      assertThat(f.strings("SELECT unique_key FROM mingus_tasks ORDER BY id")).containsExactly(
          "schedule:minutely:" + Instant.parse("2026-03-02T10:00:00Z").getEpochSecond(),
          "schedule:minutely:" + Instant.parse("2026-03-02T10:01:00Z").getEpochSecond());
      assertThat(f.strings("SELECT name FROM mingus_tasks")).containsOnly("test.noop");
    }
  }
}
