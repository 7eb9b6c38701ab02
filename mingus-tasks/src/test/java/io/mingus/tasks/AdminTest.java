package io.mingus.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mingus.db.TestEngine;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

// also run through PgBouncer in transaction pooling: the pgbouncer execution of the module's pom
@org.junit.jupiter.api.Tag("pgbouncer")
class AdminTest {

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void admin_lists_counts_cancels_retries_and_prunes(TestEngine engine) {
    SettableClock clock = new SettableClock(Fixture.t0());
    try (Fixture f = Fixture.open(engine, clock)) {
      TaskAdmin admin = f.queue.admin();
      FailureTest.Invalid invalid = new FailureTest.Invalid();
      Tasks.Witness witness = new Tasks.Witness();
      long queued = f.queue.enqueue(witness, new Tasks.N(1), TaskOptions.defaults().withQueue("later"));
      long cancelled = f.queue.enqueue(witness, new Tasks.N(2), TaskOptions.defaults().withQueue("later"));
      long failing = f.queue.enqueue(invalid, new Tasks.N(3), TaskOptions.defaults());
      Worker w = f.start(f.worker("w1").register(invalid, witness));
      await().atMost(Duration.ofSeconds(20)).until(() -> f.task(failing).state() == TaskState.FAILED);

      assertThat(admin.cancel(cancelled)).isTrue();
      assertThat(admin.cancel(cancelled)).as("only a queued task can be cancelled").isFalse();
      assertThat(admin.counts()).isEqualTo(Map.of(
          "default", Map.of(TaskState.FAILED, 1L),
          "later", Map.of(TaskState.QUEUED, 1L, TaskState.CANCELLED, 1L)));
      assertThat(admin.list(TaskState.QUEUED, "later", 10)).extracting(TaskRecord::id).containsExactly(queued);
      assertThat(admin.list(null, null, 10)).extracting(TaskRecord::id).containsExactly(failing, cancelled, queued);
      assertThat(admin.find(failing).orElseThrow().lastErrorMessage()).contains("phone number is not valid");
      assertThat(admin.find(-1)).isEmpty();

      w.close();
      assertThat(admin.retry(failing)).isTrue();
      TaskRecord retried = admin.find(failing).orElseThrow();
      assertThat(retried.state()).isEqualTo(TaskState.QUEUED);
      assertThat(retried.attempt()).isZero();
      assertThat(admin.retry(queued)).as("a queued task is not retried").isFalse();
      assertThat(admin.cancel(failing)).isTrue();

      clock.advance(Duration.ofDays(8));
      assertThat(admin.prune(Duration.ofDays(7), 1)).isEqualTo(2);
      assertThat(admin.list(null, null, 10)).extracting(TaskRecord::id).containsExactly(queued);
    }
  }
}
