package io.mingus.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mingus.db.RetryPolicy;
import io.mingus.db.TestEngine;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

// also run through PgBouncer in transaction pooling: the pgbouncer execution of the module's pom
@org.junit.jupiter.api.Tag("pgbouncer")
class FailureTest {
  private static final RetryPolicy POLICY =
      new RetryPolicy(100, Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofDays(1));

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void retries_wait_the_policys_jittered_delay_by_the_clock_and_then_fail_with_the_error(TestEngine engine) {
    SettableClock clock = new SettableClock(Fixture.t0());
    try (Fixture f = Fixture.open(engine, clock)) {
      Flaky flaky = new Flaky();
      f.start(f.worker("w1").register(flaky).retryPolicy(POLICY).random(() -> 0.5));
      long id = f.queue.enqueue(flaky, new Tasks.N(1), TaskOptions.defaults().withMaxAttempts(4));

      Instant failedAt = Fixture.t0();
      for (int attempt = 1; attempt <= 3; attempt++) {
        int a = attempt;
        await().atMost(Duration.ofSeconds(20)).until(() -> f.task(id).attempt() == a
            && f.task(id).state() == TaskState.QUEUED);
        TaskRecord t = f.task(id);
        Duration expected = Duration.ofNanos(POLICY.ceiling(attempt).toNanos() / 2);
        assertThat(t.runAt()).as("attempt %d", attempt).isEqualTo(failedAt.plus(expected));
        assertThat(t.lastErrorKind()).isEqualTo(FailureKind.TASK);
        assertThat(flaky.runs.get()).as("not run again before the clock reaches run_at").isEqualTo(attempt);
        clock.set(t.runAt());
        failedAt = t.runAt();
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> f.task(id).state() == TaskState.FAILED);

      TaskRecord t = f.task(id);
      assertThat(t.attempt()).isEqualTo(4);
      assertThat(t.lastErrorKind()).isEqualTo(FailureKind.TASK);
      assertThat(t.lastErrorMessage()).contains("provider busy, attempt 4");
      assertThat(t.lastErrorStack()).contains("FailureTest$Flaky.run");
      assertThat(t.finishedAt()).isEqualTo(failedAt);
      assertThat(f.db.meterRegistry().get("mingus.tasks.retries").counter().count()).isEqualTo(3.0);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void an_integrity_error_is_not_retried_and_its_writes_roll_back(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      f.db.inTransaction(s -> s.update("INSERT INTO witness (n) VALUES (3)"));
      Tasks.Witness witness = new Tasks.Witness();
      f.start(f.worker("w1").register(witness));
      long id = f.queue.enqueue(witness, new Tasks.N(3), TaskOptions.defaults().withMaxAttempts(5));

      await().atMost(Duration.ofSeconds(20)).until(() -> f.task(id).state() == TaskState.FAILED);
      TaskRecord t = f.task(id);
      assertThat(t.attempt()).isEqualTo(1);
      assertThat(t.lastErrorKind()).isEqualTo(FailureKind.INTEGRITY);
      assertThat(f.count("SELECT COUNT(*) FROM witness")).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_task_that_fails_for_good_is_told_in_the_transaction_that_records_the_failure(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      f.db.inTransaction(s -> s.update("INSERT INTO witness (n) VALUES (7)"));
      ToldOfFailure task = new ToldOfFailure();
      f.start(f.worker("w1").register(task));
      long id = f.queue.enqueue(task, new Tasks.N(7), TaskOptions.defaults().withMaxAttempts(5));

      await().atMost(Duration.ofSeconds(20)).until(() -> f.task(id).state() == TaskState.FAILED);
      assertThat(f.task(id).attempt()).as("an integrity error is not retried").isEqualTo(1);
      assertThat(f.count("SELECT COUNT(*) FROM witness WHERE n = -7 AND worker = 'INTEGRITY'"))
          .as("onFailure's write committed with the failure record").isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_task_rescued_with_no_attempts_left_is_failed_and_told(TestEngine engine) {
    SettableClock clock = new SettableClock(Fixture.t0());
    try (Fixture f = Fixture.open(engine, clock)) {
      HangingToldOfFailure task = new HangingToldOfFailure();
      Worker a = f.start(f.worker("a").register(task).rescueAfter(Duration.ofSeconds(2))
          .heartbeatInterval(Duration.ofMillis(200)));
      long id = f.queue.enqueue(task, new Tasks.N(4), TaskOptions.defaults().withMaxAttempts(1));
      await().atMost(Duration.ofSeconds(20)).until(() -> task.entered.getCount() == 0);

      a.runtime().halt();
      clock.advance(Duration.ofSeconds(5));
      f.start(f.worker("b").register(task).rescueAfter(Duration.ofSeconds(2)).heartbeatInterval(Duration.ofMillis(200)));

      await().atMost(Duration.ofSeconds(20)).until(() -> f.task(id).state() == TaskState.FAILED);
      assertThat(f.task(id).lastErrorKind()).isEqualTo(FailureKind.RESCUED);
      assertThat(f.strings("SELECT worker FROM witness WHERE n = -4")).as("onFailure ran with the rescue")
          .containsExactly("RESCUED");
      assertThat(f.count("SELECT COUNT(*) FROM witness WHERE n = 4")).as("the killed attempt rolled back").isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void an_error_thrown_by_on_failure_is_logged_and_the_slot_runs_on(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      f.db.inTransaction(s -> s.update("INSERT INTO witness (n) VALUES (8)"));
      Tasks.Witness witness = new Tasks.Witness();
      ToldOfFailure task = new ToldOfFailure() {
        @Override
        public void onFailure(io.mingus.db.Session session, Tasks.N p, FailureKind kind, String message) {
          throw new AssertionError("a broken hook");
        }
      };
      long failing = f.queue.enqueue(task, new Tasks.N(8), TaskOptions.defaults());
      long next = f.queue.enqueue(witness, new Tasks.N(9), TaskOptions.defaults());
      f.start(f.worker("w1").register(task, witness).queue("default", 1).claimAhead(false));

      await().atMost(Duration.ofSeconds(20)).until(() -> f.task(next).state() == TaskState.SUCCEEDED);
      assertThat(f.task(failing).state()).isEqualTo(TaskState.FAILED);
      assertThat(f.task(failing).lastErrorKind()).isEqualTo(FailureKind.INTEGRITY);
    }
  }

  /** Writes witness(n), then waits until interrupted; onFailure records the kind it was told. */
  static final class HangingToldOfFailure implements io.mingus.tasks.Task<Tasks.N> {
    final java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);

    @Override
    public String name() {
      return "test.hanging-told-of-failure";
    }

    @Override
    public Class<Tasks.N> payloadType() {
      return Tasks.N.class;
    }

    @Override
    public void run(TaskContext ctx, Tasks.N p) throws InterruptedException {
      ctx.session().update("INSERT INTO witness (n) VALUES (?)", p.n());
      entered.countDown();
      new java.util.concurrent.CountDownLatch(1).await();
    }

    @Override
    public void onFailure(io.mingus.db.Session session, Tasks.N p, FailureKind kind, String message) {
      session.update("INSERT INTO witness (n, worker) VALUES (?, ?)", -p.n(), kind.name());
    }
  }

  /** Inserts a duplicate witness row (integrity error); onFailure records the kind it was told. */
  static class ToldOfFailure implements io.mingus.tasks.Task<Tasks.N> {
    @Override
    public String name() {
      return "test.told-of-failure";
    }

    @Override
    public Class<Tasks.N> payloadType() {
      return Tasks.N.class;
    }

    @Override
    public void run(TaskContext ctx, Tasks.N p) {
      ctx.session().update("INSERT INTO witness (n) VALUES (?)", p.n());
    }

    @Override
    public void onFailure(io.mingus.db.Session session, Tasks.N p, FailureKind kind, String message) {
      session.update("INSERT INTO witness (n, worker) VALUES (?, ?)", -p.n(), kind.name());
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_task_that_keeps_failing_with_a_retryable_database_error_ends_failed_with_its_error(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      AlwaysDeadlocked task = new AlwaysDeadlocked();
      f.start(f.worker("w1").register(task).random(() -> 0.0));
      long id = f.queue.enqueue(task, new Tasks.N(1), TaskOptions.defaults().withMaxAttempts(3));

      await().atMost(Duration.ofSeconds(20)).until(() -> f.task(id).state() == TaskState.FAILED);
      TaskRecord t = f.task(id);
      assertThat(t.attempt()).isEqualTo(3);
      assertThat(t.lastErrorKind()).isEqualTo(FailureKind.DEADLOCK);
      assertThat(t.lastErrorMessage()).contains("deadlock detected");
      assertThat(f.count("SELECT COUNT(*) FROM effect")).as("every attempt rolled back").isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_validation_error_fails_at_once(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      Invalid task = new Invalid();
      f.start(f.worker("w1").register(task));
      long id = f.queue.enqueue(task, new Tasks.N(1), TaskOptions.defaults());

      await().atMost(Duration.ofSeconds(20)).until(() -> f.task(id).state() == TaskState.FAILED);
      assertThat(f.task(id).lastErrorKind()).isEqualTo(FailureKind.VALIDATION);
      assertThat(f.task(id).attempt()).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_task_past_its_timeout_is_interrupted_and_runs_again(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      Hanging task = new Hanging();
      f.start(f.worker("w1").register(task).random(() -> 0.0));
      long id = f.queue.enqueue(task, new Tasks.N(1), TaskOptions.defaults().withTimeout(Duration.ofMillis(300)));

      await().atMost(Duration.ofSeconds(20)).until(() -> f.task(id).state() == TaskState.SUCCEEDED);
      TaskRecord t = f.task(id);
      assertThat(t.attempt()).isEqualTo(2);
      assertThat(t.lastErrorKind()).isEqualTo(FailureKind.TIMEOUT);
      assertThat(task.interrupted.getCount()).isZero();
    }
  }

  /** Fails with a failure it declares retryable. */
  static final class Flaky implements Task<Tasks.N> {
    final AtomicInteger runs = new AtomicInteger();

    @Override
    public String name() {
      return "test.flaky";
    }

    @Override
    public Class<Tasks.N> payloadType() {
      return Tasks.N.class;
    }

    @Override
    public void run(TaskContext ctx, Tasks.N p) {
      runs.incrementAndGet();
      throw new IllegalStateException("provider busy, attempt " + ctx.attempt());
    }

    @Override
    public boolean isRetryable(Throwable failure) {
      return failure instanceof IllegalStateException;
    }
  }

  /** Writes, then fails as if the database broke a deadlock (retryable). */
  static final class AlwaysDeadlocked implements Task<Tasks.N> {
    @Override
    public String name() {
      return "test.deadlocked";
    }

    @Override
    public Class<Tasks.N> payloadType() {
      return Tasks.N.class;
    }

    @Override
    public void run(TaskContext ctx, Tasks.N p) throws SQLException {
      ctx.session().update("INSERT INTO effect (task_id, attempt) VALUES (?, ?)", ctx.taskId(), ctx.attempt());
      throw new SQLException("deadlock detected", "40P01");
    }
  }

  static final class Invalid implements Task<Tasks.N> {
    @Override
    public String name() {
      return "test.invalid";
    }

    @Override
    public Class<Tasks.N> payloadType() {
      return Tasks.N.class;
    }

    @Override
    public void run(TaskContext ctx, Tasks.N p) {
      throw new IllegalArgumentException("phone number is not valid");
    }
  }

  /** Hangs on its first attempt until interrupted. */
  static final class Hanging implements Task<Tasks.N> {
    final CountDownLatch interrupted = new CountDownLatch(1);

    @Override
    public String name() {
      return "test.hanging";
    }

    @Override
    public Class<Tasks.N> payloadType() {
      return Tasks.N.class;
    }

    @Override
    public void run(TaskContext ctx, Tasks.N p) {
      if (ctx.attempt() == 1) {
        try {
          new CountDownLatch(1).await();
        } catch (InterruptedException e) {
          interrupted.countDown();
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
