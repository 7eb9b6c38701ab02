package io.mingus.tasks.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.mingus.db.TestEngine;
import io.mingus.tasks.TaskState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The batch completer and the heartbeater, each alone on claimed rows. */
class CompleterTest {
  private static final Instant T0 = StoreFixture.t0();

  private static List<Execution> claimed(StoreFixture f, InFlight inFlight, int n) {
    for (int i = 0; i < n; i++) {
      f.insert("q", "test.task", "{}", 3, T0);
    }
    List<Execution> xs = f.claim("q", "test.task", n, "w1", T0).stream().map(Execution::new).toList();
    xs.forEach(inFlight::add);
    return xs;
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void the_completer_writes_pending_completions_in_batches_and_forgets_them(TestEngine engine) throws Exception {
    try (StoreFixture f = StoreFixture.open(engine)) {
      InFlight inFlight = new InFlight();
      Lifecycle lifecycle = new Lifecycle();
      Completer completer = new Completer(new WorkerDb(f.db, f.store, "w1", () -> T0.plusSeconds(1)), inFlight,
          lifecycle);
      int n = Completer.BATCH + 100;
      claimed(f, inFlight, n).forEach(completer::add);

      completer.stop();
      Thread t = Thread.ofVirtual().start(completer);
      assertThat(t.join(Duration.ofSeconds(30))).as("a stopped completer writes what is pending, then ends").isTrue();

      assertThat(completer.completed()).isEqualTo(n);
      assertThat(f.tasksIn(TaskState.SUCCEEDED)).isEqualTo(n);
      assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks WHERE finished_at = ?",
          java.time.OffsetDateTime.ofInstant(T0.plusSeconds(1), java.time.ZoneOffset.UTC))).isEqualTo(n);
      assertThat(inFlight.isEmpty()).isTrue();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_halted_completer_writes_nothing(TestEngine engine) throws Exception {
    try (StoreFixture f = StoreFixture.open(engine)) {
      InFlight inFlight = new InFlight();
      Lifecycle lifecycle = new Lifecycle();
      Completer completer = new Completer(new WorkerDb(f.db, f.store, "w1", () -> T0), inFlight, lifecycle);
      claimed(f, inFlight, 3).forEach(completer::add);

      lifecycle.halt();
      completer.stop();
      Thread t = Thread.ofVirtual().start(completer);
      assertThat(t.join(Duration.ofSeconds(30))).isTrue();

      assertThat(completer.completed()).isZero();
      assertThat(f.tasksIn(TaskState.RUNNING)).isEqualTo(3);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void the_heartbeater_refreshes_every_held_task_unless_paused(TestEngine engine) {
    try (StoreFixture f = StoreFixture.open(engine)) {
      InFlight inFlight = new InFlight();
      java.util.concurrent.atomic.AtomicReference<Instant> now = new java.util.concurrent.atomic.AtomicReference<>(T0);
      Heartbeater heartbeater = new Heartbeater(new WorkerDb(f.db, f.store, "w1", now::get), inFlight);
      List<Execution> xs = claimed(f, inFlight, 3);

      now.set(T0.plusSeconds(10));
      heartbeater.pause(true);
      heartbeater.beat();
      assertThat(f.task(xs.getFirst().claimed().id()).heartbeatAt()).isEqualTo(T0);

      heartbeater.pause(false);
      heartbeater.beat();
      for (Execution x : xs) {
        assertThat(f.task(x.claimed().id()).heartbeatAt()).isEqualTo(T0.plusSeconds(10));
      }
      inFlight.finished(xs.getFirst());
      now.set(T0.plusSeconds(20));
      heartbeater.beat();
      assertThat(f.task(xs.getFirst().claimed().id()).heartbeatAt()).as("no longer held").isEqualTo(T0.plusSeconds(10));
    }
  }
}
