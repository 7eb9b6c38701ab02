package io.mingus.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.mingus.db.TestEngine;
import io.mingus.tasks.internal.Rescuer;
import java.time.Duration;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL: a worker's liveness follows the database session of its LISTEN connection, so the
 * running tasks of a dead worker are back within seconds, long before their lease (60 s here)
 * expires; a live worker whose connection merely broke keeps its tasks.
 */
class SessionRescueTest {
  /** The target is 5 s; the bound leaves room for a loaded 2-core CI machine. */
  static final Duration RUNNING_AGAIN_BOUND = Duration.ofSeconds(12);

  private static boolean registered(Worker w) {
    return w.runtime().session().orElseThrow().registered();
  }

  private static double rescues(Fixture f, String cause) {
    return f.db.meterRegistry().find("mingus.tasks.rescues").tag("cause", cause).counters().stream()
        .mapToDouble(Counter::count).sum();
  }

  @Test
  void the_running_tasks_of_a_worker_whose_process_died_run_elsewhere_within_seconds() {
    try (Fixture f = Fixture.open(TestEngine.POSTGRESQL)) {
      Tasks.Blocking blocking = new Tasks.Blocking("test.blocking");
      Worker a = f.start(f.worker("a").register(blocking).queue("default", 3));
      List<Long> ids = f.db.fromTransaction(s -> f.queue.enqueueAll(s, blocking,
          LongStream.range(0, 3).mapToObj(Tasks.N::new).toList(), TaskOptions.defaults()));
      await().atMost(Duration.ofSeconds(20)).until(() -> registered(a)
          && ids.stream().allMatch(id -> f.task(id).state() == TaskState.RUNNING));
      Worker b = f.start(f.worker("b").register(blocking).queue("default", 3));
      await().atMost(Duration.ofSeconds(20)).until(() -> registered(b));

      long killed = System.nanoTime();
      WorkerFaults.kill(a);
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> ids.stream()
          .allMatch(id -> f.task(id).attempt() == 2 && f.task(id).state() != TaskState.QUEUED));
      Duration again = Duration.ofNanos(System.nanoTime() - killed);
      System.out.printf("killed worker's 3 tasks running again on another after %d ms (lease: 60000 ms)%n",
          again.toMillis());
      assertThat(again).as("kill to running again").isLessThanOrEqualTo(RUNNING_AGAIN_BOUND);

      await().atMost(Duration.ofSeconds(20)).until(() -> f.tasksIn(TaskState.SUCCEEDED) == 3);
      for (long id : ids) {
        TaskRecord t = f.task(id);
        assertThat(t.leaseOwner()).isEqualTo("b");
        assertThat(t.lastErrorKind()).isEqualTo(FailureKind.RESCUED);
        assertThat(t.lastErrorMessage()).contains("the database session of its worker a ended");
      }
      assertThat(f.strings("SELECT attempt FROM witness ORDER BY n")).as("the killed attempts rolled back")
          .containsExactly("2", "2", "2");
      assertThat(rescues(f, "session_gone")).isEqualTo(3);
      assertThat(rescues(f, "lease_expired")).isZero();
      await().atMost(Duration.ofSeconds(10))
          .until(() -> f.count("SELECT COUNT(*) FROM mingus_task_workers WHERE worker_id = 'a'") == 0);
    }
  }

  @Test
  void a_live_worker_whose_listen_connection_was_terminated_reconnects_and_keeps_its_tasks() {
    try (Fixture f = Fixture.open(TestEngine.POSTGRESQL)) {
      Tasks.Blocking blocking = new Tasks.Blocking("test.blocking");
      Worker a = f.start(f.worker("a").register(blocking));
      f.start(f.worker("b").register(blocking));
      long id = f.queue.enqueue(blocking, new Tasks.N(1), TaskOptions.defaults());
      await().atMost(Duration.ofSeconds(20)).until(() -> blocking.entered.getCount() == 0 && registered(a));
      String owner = f.task(id).leaseOwner();
      Worker holder = owner.equals("a") ? a : f.workerNamed(owner);
      int pid = holder.runtime().listener().orElseThrow().backendPid();

      f.db.inTransaction(s -> s.queryOne("SELECT pg_terminate_backend(?)", rs -> rs.getBoolean(1), pid));
      await().atMost(Duration.ofSeconds(20)).until(() -> registered(holder)
          && holder.runtime().listener().orElseThrow().backendPid() != pid);
      // longer than the rescuer's grace and a few of its rounds: the task stays with its worker
      Duration watch = Rescuer.SESSION_GRACE.plus(Rescuer.SESSION_PERIOD.multipliedBy(4));
      await().during(watch).atMost(watch.plusSeconds(5))
          .until(() -> f.task(id).attempt() == 1 && owner.equals(f.task(id).leaseOwner()));

      blocking.release.countDown();
      await().atMost(Duration.ofSeconds(20)).until(() -> f.task(id).state() == TaskState.SUCCEEDED);
      assertThat(f.task(id).attempt()).isEqualTo(1);
      assertThat(rescues(f, "session_gone")).isZero();
    }
  }

  @Test
  void a_worker_stopped_gracefully_is_forgotten_and_nobody_takes_it_for_dead() {
    try (Fixture f = Fixture.open(TestEngine.POSTGRESQL)) {
      Tasks.Witness witness = new Tasks.Witness();
      Worker a = f.start(f.worker("a").register(witness));
      f.start(f.worker("b").register(witness));
      await().atMost(Duration.ofSeconds(20)).until(() -> registered(a));
      assertThat(f.count("SELECT COUNT(*) FROM mingus_task_workers WHERE worker_id = 'a'")).isEqualTo(1);

      a.close();
      assertThat(f.count("SELECT COUNT(*) FROM mingus_task_workers WHERE worker_id = 'a'")).isZero();
      long id = f.queue.enqueue(witness, new Tasks.N(1), TaskOptions.defaults());
      await().atMost(Duration.ofSeconds(20)).until(() -> f.task(id).state() == TaskState.SUCCEEDED);
      assertThat(rescues(f, "session_gone")).isZero();
    }
  }
}
