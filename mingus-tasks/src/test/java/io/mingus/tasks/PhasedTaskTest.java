package io.mingus.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mingus.db.PoolName;
import io.mingus.db.Session;
import io.mingus.db.TestEngine;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link PhasedTask}s on a real worker, H2 and PostgreSQL: prepare commits before the call, the
 * call holds no connection, record commits with the completion; batches, and what happens when a
 * phase fails, a lease is lost or a worker dies during the call.
 */
// also run through PgBouncer in transaction pooling: the pgbouncer execution of the module's pom
@org.junit.jupiter.api.Tag("pgbouncer")
class PhasedTaskTest {
  private static final Duration BOUND = Duration.ofSeconds(30);

  /**
   * prepare reserves {@code effect(task_id, 'prepare', attempt)} unless an earlier attempt did
   * (returning the reserving attempt), call waits at {@link #gate} and returns "called-n", record
   * inserts {@code witness(n)} (its primary key breaks on a second record of the same n).
   */
  static final class Reserve implements PhasedTask<Tasks.N, Integer, String> {
    volatile CountDownLatch gate = new CountDownLatch(0);
    final AtomicInteger inCall = new AtomicInteger();
    final AtomicInteger calls = new AtomicInteger();
    final List<Integer> prepareBatches = new CopyOnWriteArrayList<>();
    final List<Integer> recordBatches = new CopyOnWriteArrayList<>();
    final Set<Long> failed = ConcurrentHashMap.newKeySet();
    volatile Predicate<TaskContext> nothingToDo = ctx -> false;
    volatile Predicate<Tasks.N> prepareThrows = n -> false;
    volatile Predicate<TaskContext> callThrows = ctx -> false;
    volatile Predicate<TaskContext> recordThrows = ctx -> false;

    @Override
    public String name() {
      return "test.reserve";
    }

    @Override
    public Class<Tasks.N> payloadType() {
      return Tasks.N.class;
    }

    @Override
    public List<Integer> prepareAll(Session session, List<Item<Tasks.N>> items) throws Exception {
      prepareBatches.add(items.size());
      return PhasedTask.super.prepareAll(session, items);
    }

    @Override
    public Integer prepare(TaskContext ctx, Tasks.N p) {
      if (prepareThrows.test(p)) {
        throw new IllegalArgumentException("payload " + p.n() + " cannot be prepared");
      }
      if (nothingToDo.test(ctx)) {
        return null;
      }
      List<Integer> earlier = ctx.session().query("SELECT attempt FROM effect WHERE task_id = ? AND worker = 'prepare'",
          rs -> rs.getInt(1), ctx.taskId());
      if (!earlier.isEmpty()) {
        return earlier.getFirst();
      }
      ctx.session().update("INSERT INTO effect (task_id, worker, attempt) VALUES (?, 'prepare', ?)", ctx.taskId(),
          ctx.attempt());
      return ctx.attempt();
    }

    @Override
    public String call(TaskContext ctx, Tasks.N p, Integer reservedBy) throws Exception {
      calls.incrementAndGet();
      inCall.incrementAndGet();
      try {
        if (callThrows.test(ctx)) {
          throw new IllegalStateException("provider busy");
        }
        gate.countDown();
        if (!gate.await(BOUND.toSeconds(), TimeUnit.SECONDS)) {
          throw new IllegalStateException("the gate never opened");
        }
        return "called-" + p.n() + "-reserved-by-" + reservedBy;
      } finally {
        inCall.decrementAndGet();
      }
    }

    @Override
    public void recordAll(Session session, List<Result<Tasks.N, Integer, String>> results) throws Exception {
      recordBatches.add(results.size());
      PhasedTask.super.recordAll(session, results);
    }

    @Override
    public void record(TaskContext ctx, Tasks.N p, Integer reservedBy, String outcome) {
      ctx.session().update("INSERT INTO witness (n, task_id, worker, attempt) VALUES (?, ?, ?, ?)", p.n(),
          ctx.taskId(), outcome, ctx.attempt());
      if (recordThrows.test(ctx)) {
        throw new IllegalStateException("record of task " + ctx.taskId() + " failed");
      }
    }

    @Override
    public boolean isRetryable(Throwable failure) {
      return failure instanceof IllegalStateException;
    }

    @Override
    public void onFailure(Session session, Tasks.N p, FailureKind kind, String message) {
      failed.add(p.n());
    }
  }

  private static List<Long> enqueue(Fixture f, Reserve task, int n) {
    return f.db.fromTransaction(s -> f.queue.enqueueAll(s, task, LongStream.range(0, n).mapToObj(Tasks.N::new)
        .toList(), TaskOptions.defaults().withMaxAttempts(3)));
  }

  private static Worker.Builder worker(Fixture f, String id, Reserve task, int concurrency) {
    return f.worker(id).register(task).queue("default", concurrency)
        .retryPolicy(io.mingus.db.RetryPolicy.of(5, Duration.ofMillis(10)));
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void fifty_calls_are_in_flight_at_once_on_a_worker_pool_of_three_and_each_records_once(TestEngine engine) {
    try (Fixture f = Fixture.open(engine, InstantSource.system(), 3)) {
      Reserve task = new Reserve();
      task.gate = new CountDownLatch(50);
      enqueue(f, task, 50);
      f.start(worker(f, "w1", task, 50));

      // The gate opens only once all 50 calls wait at it: impossible if a call held one of 3 connections.
      await().atMost(BOUND).until(() -> f.tasksIn(TaskState.SUCCEEDED) == 50);
      assertThat(f.count("SELECT COUNT(*) FROM witness")).isEqualTo(50);
      assertThat(f.strings("SELECT DISTINCT worker FROM witness WHERE n = 7")).containsExactly("called-7-reserved-by-1");
      assertThat(f.count("SELECT COUNT(*) FROM effect WHERE worker = 'prepare'")).isEqualTo(50);
      assertThat(task.calls.get()).isEqualTo(50);
      assertThat(task.prepareBatches).as("prepared with their claims, many at once").anyMatch(n -> n > 1);
      assertThat(task.recordBatches).as("recorded with their completions, many at once").anyMatch(n -> n > 1);
      assertThat(task.recordBatches.stream().mapToInt(Integer::intValue).sum()).isEqualTo(50);
      assertThat(f.db.pools().metrics(PoolName.WORKER).maxSize()).isEqualTo(3);
      assertThat(f.db.meterRegistry().get("mingus.tasks.outcomes").tags("name", "test.reserve", "outcome",
          "succeeded").counter().count()).isEqualTo(50.0);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_prepare_that_finds_nothing_to_do_completes_its_task_without_call_or_record(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      Reserve task = new Reserve();
      task.nothingToDo = ctx -> ctx.taskId() % 2 == 0;
      List<Long> ids = enqueue(f, task, 10);
      f.start(worker(f, "w1", task, 4));

      await().atMost(BOUND).until(() -> f.tasksIn(TaskState.SUCCEEDED) == 10);
      long odd = ids.stream().filter(id -> id % 2 == 1).count();
      assertThat(task.calls.get()).isEqualTo((int) odd);
      assertThat(f.count("SELECT COUNT(*) FROM witness")).isEqualTo(odd);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_prepare_that_throws_fails_its_own_task_and_the_others_of_its_claim_run(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      Reserve task = new Reserve();
      task.prepareThrows = p -> p.n() == 3;
      List<Long> ids = enqueue(f, task, 8);
      f.start(worker(f, "w1", task, 8));

      await().atMost(BOUND).until(() -> f.tasksIn(TaskState.SUCCEEDED) == 7 && f.tasksIn(TaskState.FAILED) == 1);
      TaskRecord bad = f.task(ids.get(3));
      assertThat(bad.state()).isEqualTo(TaskState.FAILED);
      assertThat(bad.lastErrorKind()).isEqualTo(FailureKind.VALIDATION);
      assertThat(bad.attempt()).isEqualTo(1);
      assertThat(task.failed).containsExactly(3L);
      assertThat(f.count("SELECT COUNT(*) FROM witness")).isEqualTo(7);
      assertThat(f.count("SELECT COUNT(*) FROM effect WHERE task_id = ?", ids.get(3))).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_record_that_throws_fails_its_attempt_alone_and_the_retry_keeps_the_first_reservation(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      Reserve task = new Reserve();
      List<Long> ids = enqueue(f, task, 6);
      long victim = ids.get(2);
      task.recordThrows = ctx -> ctx.taskId() == victim && ctx.attempt() == 1;
      f.start(worker(f, "w1", task, 6));

      await().atMost(BOUND).until(() -> f.tasksIn(TaskState.SUCCEEDED) == 6);
      assertThat(f.task(victim).attempt()).isEqualTo(2);
      assertThat(f.task(victim).lastErrorKind()).isEqualTo(FailureKind.TASK);
      assertThat(f.strings("SELECT worker FROM witness WHERE task_id = ?", victim))
          .as("the failed record rolled back; the retry called again with the reservation of attempt 1")
          .containsExactly("called-2-reserved-by-1");
      assertThat(f.count("SELECT COUNT(*) FROM effect WHERE task_id = ?", victim)).isEqualTo(1);
      assertThat(f.count("SELECT COUNT(*) FROM witness")).isEqualTo(6);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_call_that_fails_is_retried_and_what_prepare_committed_stays(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      Reserve task = new Reserve();
      task.callThrows = ctx -> ctx.attempt() < 3;
      long id = enqueue(f, task, 1).getFirst();
      f.start(worker(f, "w1", task, 1));

      await().atMost(BOUND).until(() -> f.task(id).state() == TaskState.SUCCEEDED);
      assertThat(f.task(id).attempt()).isEqualTo(3);
      assertThat(task.calls.get()).isEqualTo(3);
      assertThat(f.strings("SELECT worker FROM witness")).containsExactly("called-0-reserved-by-1");
      assertThat(f.count("SELECT COUNT(*) FROM effect")).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_call_that_keeps_failing_fails_the_task_for_good_and_tells_it(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      Reserve task = new Reserve();
      task.callThrows = ctx -> true;
      long id = enqueue(f, task, 1).getFirst();
      f.start(worker(f, "w1", task, 1));

      await().atMost(BOUND).until(() -> f.task(id).state() == TaskState.FAILED);
      assertThat(f.task(id).attempt()).isEqualTo(3);
      assertThat(f.task(id).lastErrorMessage()).contains("provider busy");
      assertThat(task.failed).containsExactly(0L);
      assertThat(f.count("SELECT COUNT(*) FROM witness")).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void an_outcome_whose_lease_passed_to_another_worker_during_the_call_is_not_recorded(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      Reserve task = new Reserve();
      task.gate = new CountDownLatch(2);
      long id = enqueue(f, task, 1).getFirst();
      f.start(worker(f, "w1", task, 1));
      await().atMost(BOUND).until(() -> task.inCall.get() == 1);

      // as if w1 had stopped heartbeating and another worker had taken the task over
      f.db.inTransaction(s -> s.update("UPDATE mingus_tasks SET lease_owner = 'w2' WHERE id = ?", id));
      task.gate.countDown();

      await().atMost(BOUND).until(() -> f.db.meterRegistry().find("mingus.tasks.outcomes")
          .tags("name", "test.reserve", "outcome", "lease_lost").counter() != null);
      assertThat(f.task(id).state()).isEqualTo(TaskState.RUNNING);
      assertThat(f.count("SELECT COUNT(*) FROM witness")).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_worker_killed_during_the_call_leaves_a_reservation_the_rescued_attempt_reuses(TestEngine engine) {
    SettableClock clock = new SettableClock(Fixture.t0());
    try (Fixture f = Fixture.open(engine, clock)) {
      Reserve task = new Reserve();
      task.gate = new CountDownLatch(2);
      Worker a = f.start(worker(f, "a", task, 1).rescueAfter(Duration.ofSeconds(2))
          .heartbeatInterval(Duration.ofMillis(200)));
      long id = enqueue(f, task, 1).getFirst();
      await().atMost(BOUND).until(() -> task.inCall.get() == 1);

      a.runtime().halt();
      await().atMost(BOUND).until(() -> task.inCall.get() == 0);
      assertThat(f.task(id).state()).isEqualTo(TaskState.RUNNING);
      assertThat(f.count("SELECT COUNT(*) FROM effect WHERE task_id = ?", id)).as("prepare committed").isEqualTo(1);
      task.gate = new CountDownLatch(0);
      clock.advance(Duration.ofSeconds(5));
      f.start(worker(f, "b", task, 1).rescueAfter(Duration.ofSeconds(2)).heartbeatInterval(Duration.ofMillis(200)));

      await().atMost(BOUND).until(() -> f.task(id).state() == TaskState.SUCCEEDED);
      assertThat(f.task(id).attempt()).isEqualTo(2);
      assertThat(f.task(id).leaseOwner()).isEqualTo("b");
      assertThat(task.calls.get()).as("called again: at least once").isEqualTo(2);
      assertThat(f.strings("SELECT worker FROM witness")).containsExactly("called-0-reserved-by-1");
      assertThat(f.count("SELECT COUNT(*) FROM effect")).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_call_past_its_timeout_is_interrupted_and_runs_again(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      Reserve task = new Reserve();
      task.gate = new CountDownLatch(2);
      long id = f.queue.enqueue(task, new Tasks.N(1), TaskOptions.defaults().withTimeout(Duration.ofMillis(300)));
      f.start(worker(f, "w1", task, 1));
      await().atMost(BOUND).until(() -> f.task(id).lastErrorKind() == FailureKind.TIMEOUT);
      task.gate = new CountDownLatch(0);

      await().atMost(BOUND).until(() -> f.task(id).state() == TaskState.SUCCEEDED);
      assertThat(f.task(id).lastErrorKind()).isEqualTo(FailureKind.TIMEOUT);
      assertThat(f.count("SELECT COUNT(*) FROM witness")).isEqualTo(1);
    }
  }
}
