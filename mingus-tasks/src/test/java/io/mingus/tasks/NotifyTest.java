package io.mingus.tasks;

import static org.awaitility.Awaitility.await;

import io.mingus.db.TestEngine;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class NotifyTest {

  @Test
  void on_postgresql_a_task_starts_within_seconds_on_an_idle_worker_that_polls_once_a_minute() {
    try (Fixture f = Fixture.open(TestEngine.POSTGRESQL)) {
      Tasks.Witness witness = new Tasks.Witness();
      Worker w = f.start(f.worker("w1").register(witness).pollInterval(Duration.ofMinutes(1)));
      // Another TaskQueue (as in another process): no in-process wake-up, only the NOTIFY.
      TaskQueue elsewhere = TaskQueue.create(f.db);
      await().atMost(Duration.ofSeconds(20)).until(() -> listening(w));
      long first = elsewhere.enqueue(witness, new Tasks.N(1), TaskOptions.defaults());
      await().atMost(Duration.ofSeconds(20)).until(() -> f.task(first).state() == TaskState.SUCCEEDED);

      long second = elsewhere.enqueue(witness, new Tasks.N(2), TaskOptions.defaults());
      await().atMost(Duration.ofSeconds(5)).until(() -> f.task(second).state() == TaskState.SUCCEEDED);
    }
  }

  @Test
  void the_listen_connection_comes_back_after_the_server_drops_it() {
    try (Fixture f = Fixture.open(TestEngine.POSTGRESQL)) {
      Tasks.Witness witness = new Tasks.Witness();
      Worker w = f.start(f.worker("w1").register(witness).pollInterval(Duration.ofMinutes(1)));
      TaskQueue elsewhere = TaskQueue.create(f.db);
      await().atMost(Duration.ofSeconds(20)).until(() -> listening(w));
      int pid = listenerPid(w);

      f.db.inTransaction(s -> s.queryOne("SELECT pg_terminate_backend(?)", rs -> rs.getBoolean(1), pid));
      await().atMost(Duration.ofSeconds(20)).until(() -> listening(w) && listenerPid(w) != pid);
      long first = elsewhere.enqueue(witness, new Tasks.N(1), TaskOptions.defaults());
      await().atMost(Duration.ofSeconds(20)).until(() -> f.task(first).state() == TaskState.SUCCEEDED);
      long second = elsewhere.enqueue(witness, new Tasks.N(2), TaskOptions.defaults());
      await().atMost(Duration.ofSeconds(5)).until(() -> f.task(second).state() == TaskState.SUCCEEDED);
    }
  }

  private static boolean listening(Worker w) {
    return w.runtime().listener().orElseThrow().listening();
  }

  private static int listenerPid(Worker w) {
    return w.runtime().listener().orElseThrow().backendPid();
  }
}
