package io.mingus.tasks;

import io.mingus.db.Database;
import io.mingus.db.PoolName;
import io.mingus.db.TestDb;
import io.mingus.db.TestEngine;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;

/**
 * A test's database (H2 or a PostgreSQL schema of its own), its task queue, a witness table and the
 * workers it starts; closing stops the workers, then checks for leaked transactions.
 */
final class Fixture implements AutoCloseable {
  final TestDb testDb;
  final Database db;
  final InstantSource clock;
  final TaskQueue queue;
  private final List<Worker> workers = new ArrayList<>();

  private Fixture(TestEngine engine, InstantSource clock, int workerPool) {
    this.testDb = TestDb.open(engine, c -> c.poolSize(PoolName.WORKER, workerPool, 0));
    this.db = testDb.db();
    this.clock = clock;
    this.queue = TaskQueue.create(db, clock);
    db.inTransaction(s -> {
      s.update("CREATE TABLE witness (n BIGINT PRIMARY KEY, task_id BIGINT, worker VARCHAR(200), attempt INT)");
      s.update("CREATE TABLE effect (task_id BIGINT, worker VARCHAR(200), attempt INT)");
    });
  }

  static Fixture open(TestEngine engine) {
    return new Fixture(engine, InstantSource.system(), 12);
  }

  static Fixture open(TestEngine engine, InstantSource clock) {
    return new Fixture(engine, clock, 12);
  }

  /** With a worker pool of {@code workerPool} connections. */
  static Fixture open(TestEngine engine, InstantSource clock, int workerPool) {
    return new Fixture(engine, clock, workerPool);
  }

  /** A builder with fast polling and this fixture's clock; the worker is closed with the fixture. */
  Worker.Builder worker(String id) {
    return Worker.builder(db, queue).id(id).clock(clock).pollInterval(Duration.ofMillis(50))
        .shutdownTimeout(Duration.ofSeconds(10));
  }

  Worker start(Worker.Builder b) {
    return start(b.build());
  }

  Worker start(Worker w) {
    workers.add(w);
    w.start();
    return w;
  }

  /** A worker this fixture started, by id. */
  Worker workerNamed(String id) {
    return workers.stream().filter(w -> w.id().equals(id)).findFirst().orElseThrow();
  }

  long count(String sql, Object... params) {
    return db.fromTransaction(s -> s.queryOne(sql, rs -> rs.getLong(1), params).orElseThrow());
  }

  List<String> strings(String sql, Object... params) {
    return db.fromTransaction(s -> s.query(sql, rs -> rs.getString(1), params));
  }

  long tasksIn(TaskState state) {
    return count("SELECT COUNT(*) FROM mingus_tasks WHERE state = ?", state.label());
  }

  TaskRecord task(long id) {
    return queue.admin().find(id).orElseThrow();
  }

  static Instant t0() {
    return Instant.parse("2026-03-02T10:00:30Z");
  }

  @Override
  public void close() {
    try {
      for (Worker w : workers) {
        w.close();
      }
    } finally {
      testDb.close();
    }
  }
}
