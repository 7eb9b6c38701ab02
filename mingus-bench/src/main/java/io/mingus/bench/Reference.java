package io.mingus.bench;

import io.mingus.bench.LogCommunication.LogUser;
import io.mingus.db.Database;
import io.mingus.db.DatabaseConfig;
import io.mingus.db.PoolName;
import io.mingus.tasks.Task;
import io.mingus.tasks.TaskOptions;
import io.mingus.tasks.TaskQueue;
import io.mingus.tasks.TaskState;
import io.mingus.tasks.Worker;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The sends benchmark's reference: log-communication tasks (the two statements of §1, in the task's
 * transaction with its completion) drained by an in-process worker of concurrency 8 on the same
 * PostgreSQL, in a schema of its own. The first drain is preceded by a warm-up drain.
 */
final class Reference {
  private final Target admin;
  private final String url;
  private final int tasks;
  private final LogCommunication work = new LogCommunication(1000);
  private boolean warm;

  private final Task<LogUser> task = LogCommunication.task(() -> { });

  Reference(Target admin, String url, int tasks) {
    this.admin = admin;
    this.url = url;
    this.tasks = tasks;
  }

  /** Drains {@code tasks} log-communication tasks; returns tasks per second. */
  double drain() throws Exception {
    DatabaseConfig config = Target.production(url, admin.user(), admin.password()).toBuilder().schema("sends_ref")
        .poolSize(PoolName.MAIN, 2, 0).poolSize(PoolName.WORKER, 12, 0).poolSize(PoolName.ANALYTICS, 1, 0).build();
    try (Database db = Database.create(config)) {
      TaskQueue queue = TaskQueue.create(db);
      try (Connection c = db.pools().dataSource(PoolName.MAIN).getConnection()) {
        work.createTables(c);
      }
      if (!warm) {
        run(db, queue, Math.max(1, tasks / 10));
        warm = true;
      }
      return run(db, queue, tasks);
    }
  }

  private double run(Database db, TaskQueue queue, int n) throws Exception {
    db.inTransaction(s -> s.update("TRUNCATE mingus_tasks"));
    for (int from = 0; from < n; from += 1000) {
      List<LogUser> payloads = new ArrayList<>();
      for (int i = from; i < Math.min(n, from + 1000); i++) {
        payloads.add(new LogUser(work.randomUser()));
      }
      db.inTransaction(s -> queue.enqueueAll(s, task, payloads, TaskOptions.defaults()));
    }
    long start = System.nanoTime();
    try (Worker w = Worker.builder(db, queue).register(task).queue("default", 8).pollInterval(Duration.ofSeconds(1))
        .build()) {
      w.start();
      while (true) {
        Map<String, Map<TaskState, Long>> counts = queue.admin().counts();
        Map<TaskState, Long> d = counts.getOrDefault("default", Map.of());
        if (d.getOrDefault(TaskState.QUEUED, 0L) + d.getOrDefault(TaskState.RUNNING, 0L) == 0) {
          break;
        }
        Thread.sleep(100);
      }
    }
    return n / ((System.nanoTime() - start) / 1e9);
  }
}
