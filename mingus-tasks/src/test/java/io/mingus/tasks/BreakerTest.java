package io.mingus.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mingus.db.BreakerState;
import io.mingus.db.PoolName;
import io.mingus.db.TestDb;
import io.mingus.db.TestEngine;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BreakerTest {

  @Test
  void while_the_worker_pools_breaker_is_open_the_worker_does_not_claim() {
    // The worker pool points at a port where nothing listens; the main pool works.
    try (TestDb testDb = TestDb.open(TestEngine.POSTGRESQL, c -> c
        .pool(c.build().pool(PoolName.WORKER).withUrl("jdbc:postgresql://127.0.0.1:1/test", "postgres", null)
            .withTimeout(Duration.ofMillis(250)))
        .breaker(2, Duration.ofMinutes(5)))) {
      TaskQueue queue = TaskQueue.create(testDb.db());
      Tasks.Noop noop = new Tasks.Noop();
      long id = queue.enqueue(noop, new Tasks.N(1), TaskOptions.defaults());
      try (Worker w = Worker.builder(testDb.db(), queue).register(noop).pollInterval(Duration.ofMillis(20)).build()) {
        w.start();

        await().atMost(Duration.ofSeconds(30)).until(() -> testDb.db().pools().breakerState(PoolName.WORKER) == BreakerState.OPEN);
        await().atMost(Duration.ofSeconds(30)).until(() -> skippedWhileBreakerOpen(w) >= 5);
      }
      TaskRecord t = queue.admin().find(id).orElseThrow();
      assertThat(t.state()).isEqualTo(TaskState.QUEUED);
      assertThat(t.attempt()).isZero();
    }
  }

  private static long skippedWhileBreakerOpen(Worker w) {
    return w.runtime().lanes().stream().mapToLong(io.mingus.tasks.internal.Lane::skippedWhileBreakerOpen).sum();
  }
}
