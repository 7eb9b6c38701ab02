package io.mingus.tasks.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.mingus.db.RetryPolicy;
import io.mingus.db.Session;
import io.mingus.db.TestEngine;
import io.mingus.tasks.FailureKind;
import io.mingus.tasks.PhasedTask;
import io.mingus.tasks.Task;
import io.mingus.tasks.TaskContext;
import io.mingus.tasks.TaskRecord;
import io.mingus.tasks.TaskState;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The runner alone: real transactions on H2 and PostgreSQL, a fixed clock, no lanes, loops or worker. */
class RunnerTest {
  private static final Instant T0 = StoreFixture.t0();
  private static final RetryPolicy POLICY =
      new RetryPolicy(100, Duration.ofSeconds(1), Duration.ofSeconds(8), Duration.ofDays(1));

  record N(long n) {}

  /** Everything around one runner; the task under test is registered as {@code test.task}. */
  private static final class Rig implements AutoCloseable {
    final StoreFixture f;
    final Lifecycle lifecycle = new Lifecycle();
    final InFlight inFlight = new InFlight();
    final List<Execution> batched = new CopyOnWriteArrayList<>();
    final ScheduledExecutorService timeouts = Executors.newSingleThreadScheduledExecutor();
    final RateLimits limits;
    final Runner runner;

    Rig(TestEngine engine, Task<N> task, Map<String, Double> rateLimits) {
      f = StoreFixture.open(engine);
      lifecycle.move(Lifecycle.State.NEW, Lifecycle.State.RUNNING);
      WorkerDb wdb = new WorkerDb(f.db, f.store, "w1", () -> T0);
      limits = new RateLimits(rateLimits, () -> T0);
      ObjectMapper json = new ObjectMapper();
      runner = new Runner(new Runner.Context(wdb, Map.of(task.name(), task), json, POLICY, () -> 0.5,
          new TaskMeters(f.db.meterRegistry()), timeouts, limits, inFlight, new Completions() {
            @Override
            public void add(Execution x) {
              batched.add(x);
            }

            @Override
            public CompletableFuture<Completer.Recorded> record(Execution x, PhasedTask<?, ?, ?> t) {
              throw new AssertionError("the runner's tests run no phased task");
            }
          },
          GiveBack.through(wdb, inFlight), new FailureHooks(f.db, json), lifecycle));
    }

    /** Inserts and claims one task for worker w1. */
    Execution claimed(String payload, int maxAttempts, Duration timeout) {
      try {
        f.db.inTransaction(s -> f.store.insert(s, new TaskStore.NewTask("q", "test.task", payload, 0, maxAttempts,
            timeout, T0, null, T0)));
      } catch (SQLException e) {
        throw new AssertionError(e);
      }
      Execution x = new Execution(f.claim("q", "test.task", 1, "w1", T0).getFirst());
      inFlight.add(x);
      return x;
    }

    Execution claimed(long n) {
      return claimed("{\"n\":" + n + "}", 3, Duration.ofMinutes(5));
    }

    /** Starts a slot for {@code x} alone; returns a latch that opens when the slot asks for its next task. */
    CountDownLatch start(Execution x) {
      CountDownLatch done = new CountDownLatch(1);
      runner.start(x, new ReadyQueue() {
        @Override
        public String queue() {
          return "q";
        }

        @Override
        public Execution next() {
          done.countDown();
          return null;
        }

        @Override
        public List<Execution> takeReady(String name) {
          return List.of();
        }
      });
      return done;
    }

    void runToEnd(Execution x) throws InterruptedException {
      assertThat(start(x).await(20, TimeUnit.SECONDS)).as("the slot ended").isTrue();
    }

    double outcomes(String outcome) {
      var c = f.db.meterRegistry().find("mingus.tasks.outcomes").tags("outcome", outcome).counter();
      return c == null ? 0 : c.count();
    }

    @Override
    public void close() {
      timeouts.shutdownNow();
      f.close();
    }
  }

  private static Rig rig(TestEngine engine, Task<N> task) {
    return new Rig(engine, task, Map.of());
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_task_that_writes_commits_its_writes_with_its_fenced_completion(TestEngine engine) throws Exception {
    try (Rig r = rig(engine, task((ctx, p) -> witness(ctx.session(), p.n(), ctx)))) {
      Execution x = r.claimed(5);
      r.runToEnd(x);

      TaskRecord t = r.f.task(x.claimed().id());
      assertThat(t.state()).isEqualTo(TaskState.SUCCEEDED);
      assertThat(t.finishedAt()).isEqualTo(T0);
      assertThat(r.f.count("SELECT COUNT(*) FROM witness WHERE n = 5 AND attempt = 1")).isEqualTo(1);
      assertThat(r.batched).as("completed in its own transaction").isEmpty();
      assertThat(r.inFlight.isEmpty()).isTrue();
      assertThat(r.outcomes("succeeded")).isEqualTo(1.0);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_task_that_writes_nothing_is_handed_to_the_batch_completer_and_still_held(TestEngine engine) throws Exception {
    try (Rig r = rig(engine, task((ctx, p) -> { }))) {
      Execution x = r.claimed(1);
      r.runToEnd(x);

      assertThat(r.batched).containsExactly(x);
      assertThat(r.inFlight.ids()).as("held until the completer writes it").containsExactly(x.claimed().id());
      assertThat(r.f.task(x.claimed().id()).state()).isEqualTo(TaskState.RUNNING);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_task_whose_lease_passed_to_another_worker_rolls_its_writes_back(TestEngine engine) throws Exception {
    try (Rig r = rig(engine, task((ctx, p) -> witness(ctx.session(), p.n(), ctx)))) {
      Execution x = r.claimed(6);
      r.f.db.inTransaction(s -> s.update("UPDATE mingus_tasks SET lease_owner = 'w2', attempt = 2"));
      r.runToEnd(x);

      assertThat(r.f.count("SELECT COUNT(*) FROM witness")).isZero();
      TaskRecord t = r.f.task(x.claimed().id());
      assertThat(t.state()).isEqualTo(TaskState.RUNNING);
      assertThat(t.leaseOwner()).isEqualTo("w2");
      assertThat(r.outcomes("lease_lost")).isEqualTo(1.0);
      assertThat(r.inFlight.isEmpty()).isTrue();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_retryable_failure_is_queued_again_after_the_jittered_delay_and_its_writes_roll_back(TestEngine engine)
      throws Exception {
    try (Rig r = rig(engine, task((ctx, p) -> {
      witness(ctx.session(), p.n(), ctx);
      throw new SQLException("deadlock detected", "40P01");
    }))) {
      Execution x = r.claimed(7);
      r.runToEnd(x);

      TaskRecord t = r.f.task(x.claimed().id());
      assertThat(t.state()).isEqualTo(TaskState.QUEUED);
      assertThat(t.runAt()).as("half of the first retry's ceiling of 1 s").isEqualTo(T0.plusMillis(500));
      assertThat(t.lastErrorKind()).isEqualTo(FailureKind.DEADLOCK);
      assertThat(t.lastErrorMessage()).contains("deadlock detected");
      assertThat(t.attempt()).isEqualTo(1);
      assertThat(r.f.count("SELECT COUNT(*) FROM witness")).isZero();
      assertThat(r.outcomes("retried")).isEqualTo(1.0);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_failure_on_the_last_attempt_fails_for_good_and_tells_the_task_in_the_same_transaction(TestEngine engine)
      throws Exception {
    try (Rig r = rig(engine, task((ctx, p) -> {
      throw new SQLException("deadlock detected", "40P01");
    }))) {
      Execution x = r.claimed("{\"n\":8}", 1, Duration.ofMinutes(5));
      r.runToEnd(x);

      TaskRecord t = r.f.task(x.claimed().id());
      assertThat(t.state()).isEqualTo(TaskState.FAILED);
      assertThat(t.finishedAt()).isEqualTo(T0);
      assertThat(r.f.count("SELECT COUNT(*) FROM witness WHERE n = -8")).as("onFailure's write").isEqualTo(1);
      assertThat(r.outcomes("failed")).isEqualTo(1.0);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void an_unreadable_payload_fails_at_once_and_the_task_is_not_told(TestEngine engine) throws Exception {
    try (Rig r = rig(engine, task((ctx, p) -> witness(ctx.session(), p.n(), ctx)))) {
      Execution x = r.claimed("{\"n\":\"not a number\"}", 3, Duration.ofMinutes(5));
      r.runToEnd(x);

      TaskRecord t = r.f.task(x.claimed().id());
      assertThat(t.state()).isEqualTo(TaskState.FAILED);
      assertThat(t.lastErrorKind()).isEqualTo(FailureKind.PAYLOAD);
      assertThat(t.lastErrorMessage()).contains("cannot be read as").contains(N.class.getName());
      assertThat(r.f.count("SELECT COUNT(*) FROM witness")).as("no hook, no run").isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void an_attempt_past_its_timeout_is_interrupted_and_queued_again_as_a_timeout(TestEngine engine) throws Exception {
    try (Rig r = rig(engine, task((ctx, p) -> new CountDownLatch(1).await()))) {
      Execution x = r.claimed("{\"n\":1}", 3, Duration.ofMillis(200));
      r.runToEnd(x);

      TaskRecord t = r.f.task(x.claimed().id());
      assertThat(t.state()).isEqualTo(TaskState.QUEUED);
      assertThat(t.lastErrorKind()).isEqualTo(FailureKind.TIMEOUT);
      assertThat(t.lastErrorMessage()).as("what the interrupted task threw").contains("InterruptedException");
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void an_attempt_stopped_at_shutdown_is_given_back_without_counting_it(TestEngine engine) throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    try (Rig r = rig(engine, task((ctx, p) -> {
      witness(ctx.session(), p.n(), ctx);
      entered.countDown();
      new CountDownLatch(1).await();
    }))) {
      Execution x = r.claimed(9);
      CountDownLatch done = r.start(x);
      assertThat(entered.await(20, TimeUnit.SECONDS)).isTrue();
      x.stop();
      assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();

      TaskRecord t = r.f.task(x.claimed().id());
      assertThat(t.state()).isEqualTo(TaskState.QUEUED);
      assertThat(t.attempt()).isZero();
      assertThat(t.leaseOwner()).isNull();
      assertThat(r.f.count("SELECT COUNT(*) FROM witness")).isZero();
      assertThat(r.outcomes("given_back")).isEqualTo(1.0);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_halted_worker_records_nothing_and_its_task_stays_running_under_its_lease(TestEngine engine) throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    try (Rig r = rig(engine, task((ctx, p) -> {
      witness(ctx.session(), p.n(), ctx);
      entered.countDown();
      new CountDownLatch(1).await();
    }))) {
      Execution x = r.claimed(10);
      CountDownLatch done = r.start(x);
      assertThat(entered.await(20, TimeUnit.SECONDS)).isTrue();
      r.lifecycle.halt();
      x.interrupt();
      assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();

      TaskRecord t = r.f.task(x.claimed().id());
      assertThat(t.state()).isEqualTo(TaskState.RUNNING);
      assertThat(t.leaseOwner()).isEqualTo("w1");
      assertThat(t.attempt()).isEqualTo(1);
      assertThat(r.f.count("SELECT COUNT(*) FROM witness")).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_task_over_its_rate_limit_goes_back_with_its_ready_namesakes_until_a_token_is_due(TestEngine engine)
      throws Exception {
    Task<N> writer = task((ctx, p) -> witness(ctx.session(), p.n(), ctx));
    try (Rig r = new Rig(engine, writer, Map.of("test.task", 2.0))) {
      assertThat(r.limits.admit("test.task") && r.limits.admit("test.task")).as("both tokens taken").isTrue();
      Execution first = r.claimed(1);
      Execution sibling = r.claimed(2);
      CountDownLatch done = new CountDownLatch(1);
      r.runner.start(first, new ReadyQueue() {
        @Override
        public String queue() {
          return "q";
        }

        @Override
        public Execution next() {
          done.countDown();
          return null;
        }

        @Override
        public List<Execution> takeReady(String name) {
          return name.equals("test.task") ? List.of(sibling) : List.of();
        }
      });
      assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();

      for (Execution x : List.of(first, sibling)) {
        TaskRecord t = r.f.task(x.claimed().id());
        assertThat(t.state()).isEqualTo(TaskState.QUEUED);
        assertThat(t.attempt()).as("the attempt is not counted").isZero();
        assertThat(t.runAt()).as("when the next token is due").isEqualTo(T0.plusMillis(500));
      }
      assertThat(r.f.count("SELECT COUNT(*) FROM witness")).isZero();
      assertThat(r.inFlight.isEmpty()).isTrue();
    }
  }

  private static void witness(Session s, long n, TaskContext ctx) {
    s.update("INSERT INTO witness (n, task_id, attempt) VALUES (?, ?, ?)", n, ctx.taskId(), ctx.attempt());
  }

  @FunctionalInterface
  private interface Body {
    void run(TaskContext ctx, N p) throws Exception;
  }

  /** A task named {@code test.task} doing {@code body}; its onFailure hook writes witness(-n). */
  private static Task<N> task(Body body) {
    return new Task<>() {
      @Override
      public String name() {
        return "test.task";
      }

      @Override
      public Class<N> payloadType() {
        return N.class;
      }

      @Override
      public void run(TaskContext ctx, N p) throws Exception {
        body.run(ctx, p);
      }

      @Override
      public void onFailure(Session session, N p, FailureKind kind, String message) {
        session.update("INSERT INTO witness (n) VALUES (?)", -p.n());
      }
    };
  }
}
