package io.mingus.tasks.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.mingus.db.TestEngine;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ScheduleEnqueuerTest {

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void each_tick_is_enqueued_once_with_its_key_and_a_failed_tick_is_tried_again(TestEngine engine) {
    try (StoreFixture f = StoreFixture.open(engine)) {
      AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-03-02T10:00:30Z"));
      AtomicBoolean broken = new AtomicBoolean();
      ScheduleEnqueuer.Entry minutely = new ScheduleEnqueuer.Entry("minutely", t -> t.truncatedTo(ChronoUnit.MINUTES),
          (s, tick, key) -> {
            if (broken.get()) {
              throw new IllegalStateException("the database is away");
            }
            try {
              return f.store.insert(s, new TaskStore.NewTask("q", "test.task", "{}", 0, 1, Duration.ofMinutes(1), tick,
                  key, tick));
            } catch (SQLException e) {
              throw new AssertionError(e);
            }
          });
      ScheduleEnqueuer enqueuer = new ScheduleEnqueuer(f.db, now::get, List.of(minutely));

      enqueuer.enqueueDue();
      enqueuer.enqueueDue();
      now.set(Instant.parse("2026-03-02T10:01:05Z"));
      broken.set(true);
      enqueuer.enqueueDue();
      assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks")).isEqualTo(1);
      broken.set(false);
      enqueuer.enqueueDue();
      enqueuer.enqueueDue();

      List<String> keys = f.tx(s -> s.query("SELECT unique_key FROM mingus_tasks ORDER BY id", rs -> rs.getString(1)));
      assertThat(keys).containsExactly("schedule:minutely:" + Instant.parse("2026-03-02T10:00:00Z").getEpochSecond(),
              "schedule:minutely:" + Instant.parse("2026-03-02T10:01:00Z").getEpochSecond());
    }
  }

  @org.junit.jupiter.api.Test
  void a_schedule_that_throws_is_skipped_and_never_starves_the_ones_after_it() {
    try (StoreFixture f = StoreFixture.open(TestEngine.H2)) {
      ScheduleEnqueuer.Entry broken = new ScheduleEnqueuer.Entry("broken", t -> {
        throw new IllegalStateException("no tick");
      }, (s, tick, key) -> 0L);
      List<String> enqueued = new java.util.concurrent.CopyOnWriteArrayList<>();
      ScheduleEnqueuer.Entry hourly = new ScheduleEnqueuer.Entry("hourly", t -> t.truncatedTo(ChronoUnit.HOURS),
          (s, tick, key) -> {
            enqueued.add(key);
            return 1L;
          });
      AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-03-02T10:00:30Z"));
      ScheduleEnqueuer enqueuer = new ScheduleEnqueuer(f.db, now::get, List.of(broken, hourly));
      enqueuer.enqueueDue();
      now.set(Instant.parse("2026-03-02T11:00:30Z"));
      enqueuer.enqueueDue();
      assertThat(enqueued).hasSize(2);
    }
  }

  @org.junit.jupiter.api.Test
  void it_looks_at_the_clock_every_poll_interval_but_at_least_every_second() {
    assertThat(ScheduleEnqueuer.period(Duration.ofMillis(50))).isEqualTo(Duration.ofMillis(50));
    assertThat(ScheduleEnqueuer.period(Duration.ofMinutes(1))).isEqualTo(ScheduleEnqueuer.MAX_PERIOD);
  }
}
