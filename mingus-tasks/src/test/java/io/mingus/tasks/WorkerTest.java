package io.mingus.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mingus.db.TestEngine;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

// also run through PgBouncer in transaction pooling: the pgbouncer execution of the module's pom
@org.junit.jupiter.api.Tag("pgbouncer")
class WorkerTest {

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_task_runs_and_its_writes_commit_with_its_completion(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      Worker w = f.start(f.worker("w1").register(new Tasks.Witness()));
      long id = f.queue.enqueue(new Tasks.Witness(), new Tasks.N(5), TaskOptions.defaults());

      await().atMost(Duration.ofSeconds(20)).until(() -> f.task(id).state() == TaskState.SUCCEEDED);
      TaskRecord t = f.task(id);
      assertThat(w.runtime().completer().completed()).as("a task that wrote completes in its own transaction").isZero();
      assertThat(t.attempt()).isEqualTo(1);
      assertThat(t.leaseOwner()).isEqualTo("w1");
      assertThat(t.startedAt()).isNotNull();
      assertThat(t.finishedAt()).isNotNull();
      assertThat(f.count("SELECT COUNT(*) FROM witness WHERE n = 5 AND task_id = ?", id)).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void tasks_that_write_nothing_are_completed_in_batches(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      Tasks.Noop noop = new Tasks.Noop();
      f.db.inTransaction(s -> f.queue.enqueueAll(s, noop, LongStream.range(0, 300).mapToObj(Tasks.N::new).toList(),
          TaskOptions.defaults()));
      Worker w = f.worker("w1").register(noop).queue("default", 8).build();
      w.runtime().depth().sample();
      assertThat(f.db.meterRegistry().get("mingus.tasks.depth").tags("queue", "default", "state", "queued")
          .gauge().value()).isEqualTo(300.0);
      f.start(w);

      await().atMost(Duration.ofSeconds(30)).until(() -> f.tasksIn(TaskState.SUCCEEDED) == 300);
      assertThat(w.runtime().completer().completed()).as("completions written by the batch completer").isEqualTo(300);
      w.runtime().depth().sample();
      assertThat(f.db.meterRegistry().get("mingus.tasks.depth").tags("queue", "default", "state", "queued")
          .gauge().value()).isZero();
      assertThat(f.db.meterRegistry().get("mingus.tasks.outcomes").tags("name", "test.noop", "outcome", "succeeded")
          .counter().count()).isEqualTo(300.0);
      assertThat(f.db.meterRegistry().get("mingus.tasks.pickup").tags("queue", "default").timer().count())
          .isEqualTo(300);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_task_whose_lease_passed_to_another_worker_cannot_commit_its_effects(TestEngine engine) {
    SettableClock clock = new SettableClock(Fixture.t0());
    try (Fixture f = Fixture.open(engine, clock)) {
      // Writes through a joined db.inTransaction, not ctx.session(): the worker must still see the
      // write and fence the completion.
      JoinedWriter slow = new JoinedWriter(f);
      // one slot, held by attempt 1: worker a cannot claim the rescued task itself
      Worker a = f.start(f.worker("a").register(slow).queue("default", 1).rescueAfter(Duration.ofSeconds(2))
          .heartbeatInterval(Duration.ofMillis(200)));
      long id = f.queue.enqueue(slow, new Tasks.N(1), TaskOptions.defaults());
      await().atMost(Duration.ofSeconds(20)).until(() -> slow.entered.getCount() == 0);

      a.runtime().heartbeater().pause(true);
      clock.advance(Duration.ofSeconds(5));
      f.start(f.worker("b").register(slow).rescueAfter(Duration.ofSeconds(2))
          .heartbeatInterval(Duration.ofMillis(200)));
      await().atMost(Duration.ofSeconds(20)).until(() -> f.task(id).state() == TaskState.SUCCEEDED);
      slow.release.countDown();
      await().atMost(Duration.ofSeconds(20)).until(() -> f.db.meterRegistry().find("mingus.tasks.outcomes")
          .tags("outcome", "lease_lost").counter() != null);

      TaskRecord t = f.task(id);
      assertThat(t.attempt()).isEqualTo(2);
      assertThat(t.leaseOwner()).isEqualTo("b");
      assertThat(f.strings("SELECT worker FROM effect WHERE task_id = ?", id)).containsExactly("b");
      assertThat(f.db.meterRegistry().get("mingus.tasks.rescues").tag("cause", "lease_expired").counters().stream()
          .mapToDouble(io.micrometer.core.instrument.Counter::count).sum()).isEqualTo(1.0);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void heartbeats_keep_a_long_task_from_being_rescued(TestEngine engine) {
    SettableClock clock = new SettableClock(Fixture.t0());
    try (Fixture f = Fixture.open(engine, clock)) {
      Tasks.Blocking blocking = new Tasks.Blocking("test.long");
      f.start(f.worker("a").register(blocking).rescueAfter(Duration.ofSeconds(2))
          .heartbeatInterval(Duration.ofMillis(100)));
      long id = f.queue.enqueue(blocking, new Tasks.N(4), TaskOptions.defaults());
      await().atMost(Duration.ofSeconds(20)).until(() -> blocking.entered.getCount() == 0);

      // ten seconds pass, one at a time, so that a fresh heartbeat is never older than rescueAfter
      for (int i = 0; i < 10; i++) {
        clock.advance(Duration.ofSeconds(1));
        Instant now = clock.instant();
        await().atMost(Duration.ofSeconds(20)).until(() -> now.equals(f.task(id).heartbeatAt()));
      }
      f.start(f.worker("b").register(blocking).rescueAfter(Duration.ofSeconds(2))
          .heartbeatInterval(Duration.ofMillis(100)));
      await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
          .until(() -> f.task(id).state() == TaskState.RUNNING && f.task(id).attempt() == 1);
      blocking.release.countDown();

      await().atMost(Duration.ofSeconds(20)).until(() -> f.task(id).state() == TaskState.SUCCEEDED);
      assertThat(f.task(id).attempt()).isEqualTo(1);
      assertThat(f.task(id).leaseOwner()).isEqualTo("a");
      assertThat(f.db.meterRegistry().find("mingus.tasks.rescues").counters().stream()
          .mapToDouble(io.micrometer.core.instrument.Counter::count).sum()).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_worker_killed_mid_task_has_its_task_run_again_by_another_and_the_effect_appears_once(TestEngine engine) {
    SettableClock clock = new SettableClock(Fixture.t0());
    try (Fixture f = Fixture.open(engine, clock)) {
      Tasks.Blocking blocking = new Tasks.Blocking("test.blocking");
      Worker a = f.start(f.worker("a").register(blocking).rescueAfter(Duration.ofSeconds(2))
          .heartbeatInterval(Duration.ofMillis(200)));
      long id = f.queue.enqueue(blocking, new Tasks.N(9), TaskOptions.defaults());
      await().atMost(Duration.ofSeconds(20)).until(() -> blocking.entered.getCount() == 0);

      a.runtime().halt();
      assertThat(f.task(id).state()).isEqualTo(TaskState.RUNNING);
      assertThat(f.task(id).leaseOwner()).isEqualTo("a");
      clock.advance(Duration.ofSeconds(5));
      f.start(f.worker("b").register(blocking).rescueAfter(Duration.ofSeconds(2))
          .heartbeatInterval(Duration.ofMillis(200)));

      await().atMost(Duration.ofSeconds(20)).until(() -> f.task(id).state() == TaskState.SUCCEEDED);
      TaskRecord t = f.task(id);
      assertThat(t.attempt()).isEqualTo(2);
      assertThat(t.leaseOwner()).isEqualTo("b");
      assertThat(t.lastErrorKind()).isEqualTo(FailureKind.RESCUED);
      assertThat(f.strings("SELECT attempt FROM witness WHERE n = 9")).containsExactly("2");
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void two_workers_run_ten_thousand_tasks_each_exactly_once(TestEngine engine) {
    // H2 in memory is CPU-bound in the test JVM: 10,000 tasks take minutes on a loaded 2-core CI
    // machine, so H2 runs 2,000 (the same code paths); PostgreSQL runs the full 10,000.
    int tasks = engine == TestEngine.POSTGRESQL ? 10_000 : 2_000;
    try (Fixture f = Fixture.open(engine)) {
      Tasks.Witness witness = new Tasks.Witness();
      List<Tasks.N> payloads = LongStream.range(0, tasks).mapToObj(Tasks.N::new).toList();
      f.db.inTransaction(s -> f.queue.enqueueAll(s, witness, payloads, TaskOptions.defaults()));
      long start = System.nanoTime();
      f.start(f.worker("w1").register(witness).queue("default", 4));
      f.start(f.worker("w2").register(witness).queue("default", 4));

      await().atMost(Duration.ofSeconds(180)).until(() -> f.tasksIn(TaskState.SUCCEEDED) == tasks);
      System.out.printf("%s: 2 workers ran %d tasks in %d ms%n", engine, tasks, (System.nanoTime() - start) / 1_000_000);
      assertThat(f.count("SELECT COUNT(*) FROM witness")).isEqualTo(tasks);
      assertThat(f.count("SELECT COUNT(DISTINCT task_id) FROM witness")).isEqualTo(tasks);
      assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks WHERE state <> 'succeeded' OR attempt <> 1")).isZero();
      assertThat(f.count("SELECT COUNT(DISTINCT lease_owner) FROM mingus_tasks")).isEqualTo(2);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void graceful_shutdown_lets_running_tasks_finish_and_leaves_the_rest_queued(TestEngine engine) throws Exception {
    try (Fixture f = Fixture.open(engine)) {
      Gate gate = new Gate();
      f.db.inTransaction(s -> f.queue.enqueueAll(s, gate, LongStream.range(0, 12).mapToObj(Tasks.N::new).toList(),
          TaskOptions.defaults()));
      Worker w = f.worker("w1").register(gate).queue("default", 4).build();
      w.start();
      await().atMost(Duration.ofSeconds(20)).until(() -> gate.running.get() == 4);

      Thread closing = Thread.ofVirtual().start(w::close);
      await().atMost(Duration.ofSeconds(20)).until(() -> w.runtime().lanesStopped());
      gate.open();
      closing.join(Duration.ofSeconds(30));

      assertThat(closing.isAlive()).isFalse();
      assertThat(f.tasksIn(TaskState.SUCCEEDED)).isEqualTo(4);
      assertThat(f.tasksIn(TaskState.QUEUED)).isEqualTo(8);
      assertThat(f.count("SELECT COUNT(*) FROM witness")).isEqualTo(4);

      f.start(f.worker("w2").register(gate).queue("default", 4));
      await().atMost(Duration.ofSeconds(20)).until(() -> f.tasksIn(TaskState.SUCCEEDED) == 12);
      assertThat(f.count("SELECT COUNT(*) FROM witness")).isEqualTo(12);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void shutdown_gives_back_the_tasks_that_outlive_its_timeout_and_loses_nothing(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      Gate gate = new Gate();
      f.db.inTransaction(s -> f.queue.enqueueAll(s, gate, LongStream.range(0, 10).mapToObj(Tasks.N::new).toList(),
          TaskOptions.defaults()));
      Worker w = f.worker("w1").register(gate).queue("default", 4).shutdownTimeout(Duration.ofMillis(300)).build();
      w.start();
      await().atMost(Duration.ofSeconds(20)).until(() -> gate.running.get() == 4);

      w.close();

      assertThat(f.tasksIn(TaskState.RUNNING)).isZero();
      assertThat(f.tasksIn(TaskState.QUEUED)).isEqualTo(10);
      assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks WHERE attempt <> 0")).as("attempts given back").isZero();
      assertThat(f.count("SELECT COUNT(*) FROM witness")).as("the interrupted tasks rolled back").isZero();

      gate.open();
      f.start(f.worker("w2").register(gate).queue("default", 4));
      await().atMost(Duration.ofSeconds(20)).until(() -> f.tasksIn(TaskState.SUCCEEDED) == 10);
      assertThat(f.count("SELECT COUNT(*) FROM witness")).isEqualTo(10);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void tasks_claimed_ahead_behind_a_long_task_go_back_to_the_queue_for_other_workers(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      Gate gate = new Gate();
      f.db.inTransaction(s -> f.queue.enqueueAll(s, gate, LongStream.range(0, 3).mapToObj(Tasks.N::new).toList(),
          TaskOptions.defaults()));
      f.start(f.worker("w1").register(gate).queue("default", 1));
      await().atMost(Duration.ofSeconds(20)).until(() -> gate.running.get() == 1);
      assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks WHERE state = 'running' AND lease_owner = 'w1'"))
          .as("one slot, and two tasks claimed ahead of it").isEqualTo(3);

      await().atMost(Duration.ofSeconds(10)).until(() -> f.count("SELECT COUNT(*) FROM mingus_tasks WHERE state ="
          + " 'queued' AND lease_owner IS NULL AND attempt = 0") == 2);

      f.start(f.worker("w2").register(gate).queue("default", 2).claimAhead(false));
      await().atMost(Duration.ofSeconds(20)).until(() -> gate.running.get() == 3);
      gate.open();
      await().atMost(Duration.ofSeconds(20)).until(() -> f.tasksIn(TaskState.SUCCEEDED) == 3);
      assertThat(f.strings("SELECT lease_owner FROM mingus_tasks ORDER BY lease_owner")).containsExactly("w1", "w2", "w2");
      assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks WHERE attempt <> 1")).isZero();
      assertThat(f.count("SELECT COUNT(*) FROM witness")).isEqualTo(3);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void tasks_claimed_together_start_in_priority_order(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      Recorder recorder = new Recorder();
      int[] priorities = {0, 0, 0, 5, 5, 9};
      f.db.inTransaction(s -> {
        for (int n = 0; n < priorities.length; n++) {
          f.queue.enqueue(s, recorder, new Tasks.N(n), TaskOptions.defaults().withPriority(priorities[n]));
        }
      });
      f.start(f.worker("w1").register(recorder).queue("default", 1));

      await().atMost(Duration.ofSeconds(20)).until(() -> recorder.started.size() == 6);
      assertThat(recorder.started).containsExactly(5L, 3L, 4L, 0L, 1L, 2L);
    }
  }

  /** Records the order in which its tasks start. */
  static final class Recorder implements Task<Tasks.N> {
    final List<Long> started = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public String name() {
      return "test.recorder";
    }

    @Override
    public Class<Tasks.N> payloadType() {
      return Tasks.N.class;
    }

    @Override
    public void run(TaskContext ctx, Tasks.N p) {
      started.add(p.n());
    }
  }

  /** Writes an effect row through a joined transaction; its first attempt waits for release. */
  static final class JoinedWriter implements Task<Tasks.N> {
    final java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
    final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    private final Fixture f;

    JoinedWriter(Fixture f) {
      this.f = f;
    }

    @Override
    public String name() {
      return "test.joined-writer";
    }

    @Override
    public Class<Tasks.N> payloadType() {
      return Tasks.N.class;
    }

    @Override
    public void run(TaskContext ctx, Tasks.N p) throws InterruptedException {
      String worker = ctx.attempt() == 1 ? "a" : "b";
      f.db.inTransaction(s -> s.update("INSERT INTO effect (task_id, worker, attempt) VALUES (?, ?, ?)", ctx.taskId(),
          worker, ctx.attempt()));
      if (ctx.attempt() == 1) {
        entered.countDown();
        release.await();
      }
    }
  }

  /** Inserts witness(n), then waits until the gate opens (interruptibly). */
  static final class Gate implements Task<Tasks.N> {
    final java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.CountDownLatch open = new java.util.concurrent.CountDownLatch(1);

    void open() {
      open.countDown();
    }

    @Override
    public String name() {
      return "test.gate";
    }

    @Override
    public Class<Tasks.N> payloadType() {
      return Tasks.N.class;
    }

    @Override
    public void run(TaskContext ctx, Tasks.N p) throws InterruptedException {
      ctx.session().update("INSERT INTO witness (n, task_id, attempt) VALUES (?, ?, ?)", p.n(), ctx.taskId(),
          ctx.attempt());
      running.incrementAndGet();
      try {
        open.await();
      } finally {
        running.decrementAndGet();
      }
    }
  }
}
