package io.mingus.tasks.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.mingus.db.Session;
import io.mingus.db.TestEngine;
import io.mingus.tasks.FailureKind;
import io.mingus.tasks.Task;
import io.mingus.tasks.TaskContext;
import io.mingus.tasks.TaskRecord;
import io.mingus.tasks.TaskState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The rescuer alone, on rows a dead worker left running; the clock is set by hand. */
class RescuerTest {
  private static final Instant T0 = StoreFixture.t0();
  private static final Duration RESCUE_AFTER = Duration.ofSeconds(60);

  record N(long n) {}

  /** A task whose onFailure hook records the kind and message it was told in the witness table. */
  static final class Told implements Task<N> {
    private final String name;

    Told(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Class<N> payloadType() {
      return N.class;
    }

    @Override
    public void run(TaskContext ctx, N p) {}

    @Override
    public void onFailure(Session session, N p, FailureKind kind, String message) {
      session.update("INSERT INTO witness (n, attempt) VALUES (?, ?)", p.n(), kind == FailureKind.RESCUED ? 1 : 0);
    }
  }

  private final AtomicReference<Instant> now = new AtomicReference<>(T0);
  private final List<String> woken = new CopyOnWriteArrayList<>();

  private Rescuer rescuer(StoreFixture f, Map<String, Task<?>> tasks) {
    WorkerDb wdb = new WorkerDb(f.db, f.store, "rescuer", now::get);
    return new Rescuer(new Rescuer.Context(wdb, RESCUE_AFTER, tasks, new FailureHooks(f.db, new ObjectMapper()),
        new TaskMeters(f.db.meterRegistry()), woken::add));
  }

  /** Inserts a task and claims it for worker "dead" at {@code claimedAt}. */
  private static long running(StoreFixture f, String queue, String name, long n, int maxAttempts, Instant claimedAt) {
    long id = f.insert(queue, name, "{\"n\":" + n + "}", maxAttempts, claimedAt);
    assertThat(f.claim(queue, name, 1, "dead", claimedAt)).extracting(TaskStore.Claimed::id).containsExactly(id);
    return id;
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_task_whose_heartbeat_is_older_than_rescue_after_is_queued_again_and_its_lane_woken(TestEngine engine) {
    try (StoreFixture f = StoreFixture.open(engine)) {
      long stale = running(f, "mail", "test.told", 1, 3, T0);
      long fresh = running(f, "mail", "test.told", 2, 3, T0.plusSeconds(30));
      now.set(T0.plus(RESCUE_AFTER).plusSeconds(1));

      rescuer(f, Map.of()).rescue();

      TaskRecord t = f.task(stale);
      assertThat(t.state()).isEqualTo(TaskState.QUEUED);
      assertThat(t.leaseOwner()).isNull();
      assertThat(t.attempt()).as("the lost attempt counts").isEqualTo(1);
      assertThat(t.runAt()).isEqualTo(now.get());
      assertThat(t.lastErrorKind()).isEqualTo(FailureKind.RESCUED);
      assertThat(t.lastErrorMessage()).contains("rescued by worker rescuer");
      assertThat(f.task(fresh).state()).as("its heartbeat is recent enough").isEqualTo(TaskState.RUNNING);
      assertThat(woken).containsExactly("mail");
      assertThat(f.db.meterRegistry().get("mingus.tasks.rescues").tag("queue", "mail").counter().count()).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_stale_task_on_its_last_attempt_fails_and_its_hook_runs_in_the_rescuers_transaction(TestEngine engine) {
    try (StoreFixture f = StoreFixture.open(engine)) {
      Told told = new Told("test.told");
      long id = running(f, "q", told.name(), 7, 1, T0);
      now.set(T0.plus(RESCUE_AFTER).plusSeconds(1));

      rescuer(f, Map.of(told.name(), told)).rescue();

      TaskRecord t = f.task(id);
      assertThat(t.state()).isEqualTo(TaskState.FAILED);
      assertThat(t.finishedAt()).isEqualTo(now.get());
      assertThat(t.lastErrorKind()).isEqualTo(FailureKind.RESCUED);
      assertThat(t.lastErrorMessage()).endsWith("with no attempts left");
      assertThat(f.count("SELECT COUNT(*) FROM witness WHERE n = 7 AND attempt = 1")).as("told kind RESCUED")
          .isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_task_this_worker_does_not_run_is_failed_without_its_hook(TestEngine engine) {
    try (StoreFixture f = StoreFixture.open(engine)) {
      long id = running(f, "q", "elsewhere.task", 3, 1, T0);
      now.set(T0.plus(RESCUE_AFTER).plusSeconds(1));

      rescuer(f, Map.of()).rescue();

      assertThat(f.task(id).state()).isEqualTo(TaskState.FAILED);
      assertThat(f.count("SELECT COUNT(*) FROM witness")).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void one_round_rescues_more_than_one_batch(TestEngine engine) {
    try (StoreFixture f = StoreFixture.open(engine)) {
      int n = Rescuer.BATCH + 20;
      for (int i = 0; i < n; i++) {
        f.insert("q", "test.told", "{\"n\":" + i + "}", 3, T0);
      }
      assertThat(f.claim("q", "test.told", n, "dead", T0)).hasSize(n);
      now.set(T0.plus(RESCUE_AFTER).plusSeconds(1));

      rescuer(f, Map.of()).rescue();

      assertThat(f.tasksIn(TaskState.QUEUED)).isEqualTo(n);
      assertThat(f.db.meterRegistry().get("mingus.tasks.rescues").counter().count()).isEqualTo(n);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_task_whose_heartbeat_is_exactly_rescue_after_old_is_left_alone(TestEngine engine) {
    try (StoreFixture f = StoreFixture.open(engine)) {
      long id = running(f, "q", "test.told", 1, 3, T0);
      now.set(T0.plus(RESCUE_AFTER));

      rescuer(f, Map.of()).rescue();

      assertThat(f.task(id).state()).isEqualTo(TaskState.RUNNING);
      assertThat(woken).isEmpty();
    }
  }

  @org.junit.jupiter.api.Test
  void it_looks_four_times_per_rescue_after_but_at_least_every_fifteen_seconds() {
    assertThat(Rescuer.period(Duration.ofSeconds(8))).isEqualTo(Duration.ofSeconds(2));
    assertThat(Rescuer.period(Duration.ofMinutes(10))).isEqualTo(Rescuer.MAX_PERIOD);
  }
}
