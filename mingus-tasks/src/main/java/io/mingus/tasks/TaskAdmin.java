package io.mingus.tasks;

import io.mingus.db.Database;
import io.mingus.db.PoolName;
import io.mingus.db.TransactionOptions;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Looks at and repairs tasks: list and count them by state and queue, show one with its last
 * error, retry a failed one, cancel a queued one, prune finished ones. Every method runs in a
 * transaction of its own on the main pool (or joins the caller's). Thread-safe; obtained from
 * {@link TaskQueue#admin()}.
 */
public final class TaskAdmin {
  private final Database db;
  private final TaskStore store;
  private final InstantSource clock;

  TaskAdmin(Database db, TaskStore store, InstantSource clock) {
    this.db = db;
    this.store = store;
    this.clock = clock;
  }

  /**
   * The newest tasks first, filtered by state and queue.
   *
   * @param state only tasks in this state, or {@code null} for all
   * @param queue only tasks of this queue, or {@code null} for all
   * @param limit at most this many; 1 to 10,000
   */
  public List<TaskRecord> list(TaskState state, String queue, int limit) {
    if (limit < 1 || limit > 10_000) {
      throw new IllegalArgumentException("limit must be 1 to 10000, was " + limit);
    }
    StringBuilder sql = new StringBuilder("SELECT " + TaskStore.COLUMNS + " FROM " + TaskStore.TABLE + " WHERE 1 = 1");
    List<Object> params = new ArrayList<>();
    if (state != null) {
      sql.append(" AND state = ?");
      params.add(state.label());
    }
    if (queue != null) {
      sql.append(" AND queue = ?");
      params.add(queue);
    }
    sql.append(" ORDER BY id DESC LIMIT ?");
    params.add(limit);
    return db.fromTransaction(TransactionOptions.named("tasks.admin.list").withReadOnly(true),
        s -> s.query(sql.toString(), TaskAdmin::record, params.toArray()));
  }

  /** The number of tasks per queue and state (queues in name order; states with no task are left out). */
  public Map<String, Map<TaskState, Long>> counts() {
    return db.fromTransaction(TransactionOptions.named("tasks.admin.counts").withReadOnly(true), s -> {
      Map<String, Map<TaskState, Long>> out = new TreeMap<>();
      s.query("SELECT queue, state, COUNT(*) FROM " + TaskStore.TABLE + " GROUP BY queue, state", rs -> {
        out.computeIfAbsent(rs.getString(1), q -> new EnumMap<>(TaskState.class))
            .put(TaskState.of(rs.getString(2)), rs.getLong(3));
        return null;
      });
      return out;
    });
  }

  /** One task, with its last error, or empty when there is none with this id. */
  public Optional<TaskRecord> find(long id) {
    return db.fromTransaction(TransactionOptions.named("tasks.admin.find").withReadOnly(true),
        s -> s.queryOne("SELECT " + TaskStore.COLUMNS + " FROM " + TaskStore.TABLE + " WHERE id = ?",
            TaskAdmin::record, id));
  }

  /**
   * Queues a failed or cancelled task again, to run now with its attempts counted from zero; its
   * last error stays for reference until it runs.
   *
   * @return whether the task was failed or cancelled (and is now queued)
   */
  public boolean retry(long id) {
    return db.fromTransaction(TransactionOptions.named("tasks.admin.retry"), s -> s.update(
        "UPDATE " + TaskStore.TABLE + " SET state = 'queued', attempt = 0, run_at = ?, lease_owner = NULL,"
            + " heartbeat_at = NULL, started_at = NULL, finished_at = NULL WHERE id = ? AND state IN ('failed', 'cancelled')",
        TaskStore.ts(clock.instant()), id) == 1);
  }

  /**
   * Cancels a queued task: it will not run. A running task cannot be cancelled.
   *
   * @return whether the task was queued (and is now cancelled)
   */
  public boolean cancel(long id) {
    return db.fromTransaction(TransactionOptions.named("tasks.admin.cancel"), s -> s.update(
        "UPDATE " + TaskStore.TABLE + " SET state = 'cancelled', finished_at = ? WHERE id = ? AND state = 'queued'",
        TaskStore.ts(clock.instant()), id) == 1);
  }

  /**
   * Deletes finished tasks (succeeded, failed, cancelled) that finished more than {@code olderThan}
   * ago, {@code batchSize} rows per transaction so that no long transaction holds locks.
   *
   * @return the number of tasks deleted
   */
  public int prune(Duration olderThan, int batchSize) {
    if (olderThan.isNegative()) {
      throw new IllegalArgumentException("olderThan must not be negative, was " + olderThan);
    }
    if (batchSize < 1 || batchSize > 100_000) {
      throw new IllegalArgumentException("batchSize must be 1 to 100000, was " + batchSize);
    }
    var cutoff = TaskStore.ts(clock.instant().minus(olderThan));
    int total = 0;
    while (true) {
      int n = db.fromTransaction(TransactionOptions.named("tasks.admin.prune").withPool(PoolName.WORKER)
          .withPropagation(io.mingus.db.Propagation.REQUIRES_NEW), s -> s.update(pruneSql(db.dialect()), cutoff, batchSize));
      total += n;
      if (n < batchSize) {
        return total;
      }
    }
  }

  /**
   * One batch of pruning. On PostgreSQL the sub-select is an {@code ARRAY(...)} (an InitPlan, rows
   * then found by primary key): with {@code id IN (SELECT ... LIMIT ?)} the generic plan of the
   * repeated statement joins to a sequential scan of the whole table in every batch.
   */
  static String pruneSql(io.mingus.db.Dialect dialect) {
    String select = "SELECT id FROM " + TaskStore.TABLE + " WHERE state IN ('succeeded', 'failed', 'cancelled')"
        + " AND finished_at < ? LIMIT ?";
    return dialect == io.mingus.db.Dialect.POSTGRESQL
        ? "DELETE FROM " + TaskStore.TABLE + " WHERE id = ANY (ARRAY(" + select + "))"
        : "DELETE FROM " + TaskStore.TABLE + " WHERE id IN (" + select + ")";
  }

  /** Queued and running tasks per queue: cheap (partial indexes on PostgreSQL), for the depth gauges. */
  Map<String, Map<TaskState, Long>> activeCounts() {
    return db.fromTransaction(TransactionOptions.named("tasks.depth").withReadOnly(true), s -> {
      Map<String, Map<TaskState, Long>> out = new TreeMap<>();
      s.query("SELECT queue, state, COUNT(*) FROM " + TaskStore.TABLE + " WHERE state IN ('queued', 'running')"
          + " GROUP BY queue, state", rs -> {
            out.computeIfAbsent(rs.getString(1), q -> new EnumMap<>(TaskState.class))
                .put(TaskState.of(rs.getString(2)), rs.getLong(3));
            return null;
          });
      return out;
    });
  }

  static TaskRecord record(ResultSet rs) throws SQLException {
    return new TaskRecord(rs.getLong("id"), rs.getString("queue"), rs.getString("name"), rs.getString("payload"),
        rs.getInt("priority"), TaskState.of(rs.getString("state")), rs.getInt("attempt"), rs.getInt("max_attempts"),
        TaskStore.instant(rs, "run_at"), rs.getString("lease_owner"), TaskStore.instant(rs, "heartbeat_at"),
        rs.getString("unique_key"), rs.getString("last_error_kind"), rs.getString("last_error_message"),
        rs.getString("last_error_stack"), TaskStore.instant(rs, "created_at"), TaskStore.instant(rs, "started_at"),
        TaskStore.instant(rs, "finished_at"));
  }

  TaskStore store() {
    return store;
  }
}
