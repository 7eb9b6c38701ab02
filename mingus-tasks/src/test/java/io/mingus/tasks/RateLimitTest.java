package io.mingus.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mingus.db.TestEngine;
import java.time.Duration;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RateLimitTest {

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_rate_limited_task_name_waits_for_the_clock_while_other_names_run(TestEngine engine) {
    SettableClock clock = new SettableClock(Fixture.t0());
    try (Fixture f = Fixture.open(engine, clock)) {
      Tasks.Noop limited = new Tasks.Noop();
      Tasks.Witness free = new Tasks.Witness();
      f.db.inTransaction(s -> {
        f.queue.enqueueAll(s, limited, LongStream.range(0, 10).mapToObj(Tasks.N::new).toList(), TaskOptions.defaults());
        f.queue.enqueueAll(s, free, LongStream.range(0, 10).mapToObj(Tasks.N::new).toList(), TaskOptions.defaults());
      });
      f.start(f.worker("w1").register(limited, free).queue("default", 4).rateLimit("test.noop", 2));

      await().atMost(Duration.ofSeconds(20)).until(() -> succeeded(f, "test.witness") == 10);
      await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> succeeded(f, "test.noop") == 2);

      clock.advance(Duration.ofSeconds(1));
      await().atMost(Duration.ofSeconds(20)).until(() -> succeeded(f, "test.noop") == 4);
      await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> succeeded(f, "test.noop") == 4);
      assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks WHERE state = 'queued' AND attempt <> 0"))
          .as("tasks given back for the rate limit keep their attempts").isZero();
    }
  }

  private static long succeeded(Fixture f, String name) {
    return f.count("SELECT COUNT(*) FROM mingus_tasks WHERE state = 'succeeded' AND name = ?", name);
  }
}
