package io.mingus.tasks.internal;

import io.mingus.db.Database;
import io.mingus.db.PoolName;
import io.mingus.db.Session;
import io.mingus.db.TestDb;
import io.mingus.db.TestEngine;
import io.mingus.tasks.TaskQueue;
import io.mingus.tasks.TaskRecord;
import io.mingus.tasks.TaskState;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;

/**
 * A test's database (H2 or a PostgreSQL schema of its own) with the task table, its store and a
 * witness table, for the services tested without a whole worker; closing checks for leaked
 * transactions.
 */
final class StoreFixture implements AutoCloseable {
  final TestDb testDb;
  final Database db;
  final TaskStore store;

  private StoreFixture(TestEngine engine) {
    this.testDb = TestDb.open(engine, c -> c.poolSize(PoolName.WORKER, 6, 0));
    this.db = testDb.db();
    TaskQueue.create(db);
    this.store = TaskStore.create(db.config());
    db.inTransaction(s -> s.update("CREATE TABLE witness (n BIGINT PRIMARY KEY, task_id BIGINT, attempt INT)"));
  }

  static StoreFixture open(TestEngine engine) {
    return new StoreFixture(engine);
  }

  static Instant t0() {
    return Instant.parse("2026-03-02T10:00:30Z");
  }

  /** Inserts a task due at {@code runAt} with this many attempts allowed; returns its id. */
  long insert(String queue, String name, String payload, int maxAttempts, Instant runAt) {
    TaskStore.NewTask t = new TaskStore.NewTask(queue, name, payload, 0, maxAttempts, Duration.ofMinutes(5), runAt,
        null, runAt);
    try {
      return db.fromTransaction(s -> store.insert(s, t));
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  /** Claims up to {@code limit} tasks of {@code queue} named {@code name} for {@code owner} at {@code now}. */
  List<TaskStore.Claimed> claim(String queue, String name, int limit, String owner, Instant now) {
    try {
      return db.fromTransaction(WorkerDb.control("claim"),
          s -> store.claim(s, queue, List.of(name), limit, owner, now));
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  /** The result of {@code work} in a transaction of its own on the main pool. */
  <R> R tx(Function<Session, R> work) {
    return db.fromTransaction(work::apply);
  }

  TaskRecord task(long id) {
    return db.fromTransaction(s -> store.find(s, id)).orElseThrow();
  }

  long count(String sql, Object... params) {
    return db.fromTransaction(s -> s.queryOne(sql, rs -> rs.getLong(1), params).orElseThrow());
  }

  long tasksIn(TaskState state) {
    return count("SELECT COUNT(*) FROM mingus_tasks WHERE state = ?", state.label());
  }

  @Override
  public void close() {
    testDb.close();
  }
}
