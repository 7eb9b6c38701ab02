package io.mingus.tasks.internal;

import io.mingus.db.Session;
import io.mingus.db.TransactionOptions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

/**
 * The task table on PostgreSQL: payloads cast to {@code jsonb}; a unique key taken is skipped with
 * {@code ON CONFLICT DO NOTHING} (the caller's transaction is not aborted); a claim is one {@code
 * UPDATE ... RETURNING}; new tasks are announced with {@code pg_notify}.
 */
final class PostgresTaskStore extends SqlTaskStore {
  /** The workers whose liveness follows their session. */
  static final String WORKERS = "mingus_task_workers";

  private final String channel;
  private final boolean transactionsBeginWithSettings;
  /** The start of {@link #insertWithRow}'s statement, up to the caller's row; built once. */
  private volatile String newTaskHead;

  PostgresTaskStore(String schema, boolean transactionsBeginWithSettings) {
    super("CAST(? AS jsonb)");
    this.channel = schema == null ? "mingus_tasks" : "mingus_tasks_" + schema;
    this.transactionsBeginWithSettings = transactionsBeginWithSettings;
  }

  @Override
  public boolean notifies() {
    return true;
  }

  @Override
  public String channel() {
    return channel;
  }

  @Override
  public boolean tracksSessions() {
    return true;
  }

  @Override
  public boolean lockSession(Connection c, long key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
      ps.setLong(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  @Override
  public void registerSession(Session s, String workerId, long key, int pid, Instant now) {
    s.update("INSERT INTO " + WORKERS + " (worker_id, lock_key, backend_pid, since) VALUES (?, ?, ?, ?)"
        + " ON CONFLICT (worker_id) DO UPDATE SET lock_key = EXCLUDED.lock_key, backend_pid = EXCLUDED.backend_pid,"
        + " since = EXCLUDED.since", workerId, key, pid, ts(now));
  }

  @Override
  public void unregisterSession(Session s, String workerId, long key) {
    s.update("DELETE FROM " + WORKERS + " WHERE worker_id = ? AND lock_key = ?", workerId, key);
  }

  /**
   * A bigint advisory lock shows in {@code pg_locks} as its high half in {@code classid}, its low
   * half in {@code objid} (both {@code oid}, unsigned) and {@code objsubid = 1}; shifting the high
   * half back as a bigint gives the key, sign included. Any database's locks are looked at: the
   * keys are random 64-bit numbers.
   */
  private static final String LOCK_FREE = "NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory'"
      + " AND l.objsubid = 1 AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = w.lock_key)";

  @Override
  public List<SessionKey> goneSessions(Session s, String except) {
    return s.query("SELECT w.worker_id, w.lock_key FROM " + WORKERS + " w WHERE w.worker_id <> ? AND " + LOCK_FREE,
        rs -> new SessionKey(rs.getString(1), rs.getLong(2)), except);
  }

  @Override
  public List<Stale> orphaned(Session s, SessionKey gone, int limit) {
    return s.query("SELECT t.id, t.attempt, t.max_attempts, t.queue, t.name, t.payload FROM " + TABLE + " t"
        + " WHERE t.state = 'running' AND t.lease_owner = ? AND EXISTS (SELECT 1 FROM " + WORKERS + " w"
        + " WHERE w.worker_id = ? AND w.lock_key = ? AND " + LOCK_FREE + ") ORDER BY t.id LIMIT ?"
        + " FOR UPDATE OF t SKIP LOCKED",
        rs -> new Stale(rs.getLong(1), rs.getInt(2), rs.getInt(3), rs.getString(4), rs.getString(5), rs.getString(6)),
        gone.workerId(), gone.workerId(), gone.lockKey(), limit);
  }

  @Override
  public boolean forgetSession(Session s, SessionKey gone) {
    return s.update("DELETE FROM " + WORKERS + " w WHERE w.worker_id = ? AND w.lock_key = ? AND NOT EXISTS (SELECT 1"
        + " FROM " + TABLE + " t WHERE t.state = 'running' AND t.lease_owner = w.worker_id)",
        gone.workerId(), gone.lockKey()) == 1;
  }

  @Override
  public boolean hasWrites(Session session) {
    try {
      boolean open = session.connection().unwrap(BaseConnection.class).getTransactionState() != TransactionState.IDLE;
      if (!open || !transactionsBeginWithSettings) {
        return open;
      }
      // Behind PgBouncer every transaction opened with its own SET LOCAL: ask whether it wrote.
      return session.queryOne("SELECT pg_current_xact_id_if_assigned() IS NOT NULL", rs -> rs.getBoolean(1))
          .orElse(true);
    } catch (SQLException | RuntimeException e) {
      return true;
    }
  }

  /**
   * Unchanged: a {@code SET LOCAL statement_timeout} would cost a round trip per task, so the
   * worker's watchdog interrupts a task that runs too long instead (an interrupt aborts the blocking
   * socket I/O of a virtual thread, and the pool discards the broken connection).
   */
  @Override
  public TransactionOptions withTaskTimeout(TransactionOptions options, Duration timeout) {
    return options;
  }

  @Override
  public long insert(Session s, NewTask t) throws SQLException {
    // ON CONFLICT DO NOTHING never aborts the caller's transaction; it waits for a concurrent
    // insert of the same key to end, so the SELECT in existing() sees that row once it committed.
    String conflict = t.uniqueKey() == null ? "" : " ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL DO NOTHING";
    try (PreparedStatement ps = s.connection().prepareStatement(insertSql + conflict + " RETURNING id")) {
      bindInsert(ps, t);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          return rs.getLong(1);
        }
      }
    }
    if (t.uniqueKey() == null) {
      throw new SQLException("the insert of a task returned no id", "55000");
    }
    return existing(s, t.uniqueKey());
  }

  /**
   * The caller's row and the task in one statement: {@code new_task} draws the task's id from the
   * table's identity sequence once (a CTE with a volatile function is evaluated once), the caller's
   * statement may use it, and the task is inserted only if the caller's statement returned a row.
   * An id drawn for a row that was not written is a gap, as a rolled-back insert leaves.
   */
  @Override
  public OptionalLong insertWithRow(Session s, String rowSql, List<?> rowParams, NewTask t) throws SQLException {
    String sql = newTaskHead(s) + rowSql + WITH_ROW_TAIL;
    try (PreparedStatement ps = s.connection().prepareStatement(sql)) {
      int i = 1;
      for (Object p : rowParams) {
        ps.setObject(i++, p);
      }
      bindInsert(ps, i, t);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
      }
    }
  }

  private static final String WITH_ROW_TAIL = "), task AS (INSERT INTO " + TABLE + " (id, queue, name, payload,"
      + " priority, state, attempt, max_attempts, timeout_ms, run_at, unique_key, created_at) SELECT new_task.id, ?, ?,"
      + " CAST(? AS jsonb), ?, 'queued', 0, ?, ?, ?, ?, ? FROM new_task WHERE EXISTS (SELECT 1 FROM caller_row)"
      + " RETURNING id) SELECT id FROM task";

  /** {@code new_task} on the task table's identity sequence (schema-qualified, looked up once), then the caller's row. */
  private String newTaskHead(Session s) throws SQLException {
    String head = newTaskHead;
    if (head == null) {
      String sequence = s.queryOne("SELECT COALESCE(pg_get_serial_sequence(?, 'id'), '')", rs -> rs.getString(1),
          TABLE).orElse("");
      if (sequence.isEmpty()) {
        throw new SQLException("the task table " + TABLE + " has no identity sequence on its id column: apply the"
            + " tasks module's migrations (TaskQueue.create does)", "55000");
      }
      head = "WITH new_task AS (SELECT nextval('" + sequence.replace("'", "''") + "'::regclass) AS id), caller_row AS (";
      newTaskHead = head;
    }
    return head;
  }

  /**
   * One statement for the whole batch, however large: the columns come as arrays ({@code unnest}),
   * so the driver binds nine parameters instead of nine per task, and PostgreSQL parses, plans and
   * answers once. Identity values are drawn in the order the rows are inserted, which is the
   * arrays' order ({@code ORDER BY} their ordinality): the ids, sorted, are the tasks' in order.
   */
  @Override
  public List<Long> insertBatch(Session s, List<NewTask> tasks) throws SQLException {
    int n = tasks.size();
    String[] queues = new String[n];
    String[] names = new String[n];
    String[] payloads = new String[n];
    Integer[] priorities = new Integer[n];
    Integer[] maxAttempts = new Integer[n];
    Long[] timeouts = new Long[n];
    String[] runAts = new String[n];
    String[] keys = new String[n];
    String[] createdAts = new String[n];
    for (int k = 0; k < n; k++) {
      NewTask t = tasks.get(k);
      queues[k] = t.queue();
      names[k] = t.name();
      payloads[k] = t.payloadJson();
      priorities[k] = t.priority();
      maxAttempts[k] = t.maxAttempts();
      timeouts[k] = t.timeout().toMillis();
      runAts[k] = t.runAt().toString();
      keys[k] = t.uniqueKey();
      createdAts[k] = t.createdAt().toString();
    }
    Connection c = s.connection();
    List<Long> ids = new ArrayList<>(n);
    try (PreparedStatement ps = c.prepareStatement(INSERT_ARRAYS)) {
      ps.setArray(1, c.createArrayOf("varchar", queues));
      ps.setArray(2, c.createArrayOf("varchar", names));
      ps.setArray(3, c.createArrayOf("text", payloads));
      ps.setArray(4, c.createArrayOf("int4", priorities));
      ps.setArray(5, c.createArrayOf("int4", maxAttempts));
      ps.setArray(6, c.createArrayOf("int8", timeouts));
      ps.setArray(7, c.createArrayOf("text", runAts));
      ps.setArray(8, c.createArrayOf("varchar", keys));
      ps.setArray(9, c.createArrayOf("text", createdAts));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getLong(1));
        }
      }
    }
    if (ids.size() != n) {
      throw new SQLException("batch insert of " + n + " tasks returned " + ids.size() + " ids", "55000");
    }
    ids.sort(null);
    return ids;
  }

  private static final String INSERT_ARRAYS = "INSERT INTO " + TABLE + " (queue, name, payload, priority, state,"
      + " attempt, max_attempts, timeout_ms, run_at, unique_key, created_at) SELECT v.queue, v.name,"
      + " CAST(v.payload AS jsonb), v.priority, 'queued', 0, v.max_attempts, v.timeout_ms,"
      + " CAST(v.run_at AS timestamptz), v.unique_key, CAST(v.created_at AS timestamptz)"
      + " FROM unnest(CAST(? AS varchar[]), CAST(? AS varchar[]), CAST(? AS text[]), CAST(? AS int[]),"
      + " CAST(? AS int[]), CAST(? AS bigint[]), CAST(? AS text[]), CAST(? AS varchar[]), CAST(? AS text[]))"
      + " WITH ORDINALITY AS v(queue, name, payload, priority, max_attempts, timeout_ms, run_at, unique_key,"
      + " created_at, n) ORDER BY v.n RETURNING id";

  /**
   * One statement (it may run in auto-commit: the setting holds for its implicit transaction),
   * and a commit that does not wait for the WAL flush: a transaction that notifies gets a
   * transaction id, so its commit would otherwise wait for an fsync of its own, which every
   * enqueuing commit flushing after it then queues behind (with one enqueuing thread, half of the
   * flushes were the notifier's). A notification lost in a crash only means that the workers find
   * the task at their next poll; the enqueued task itself committed durably before it was asked for.
   */
  @Override
  public void notifyQueues(Session s, Collection<String> queues) {
    s.query("SELECT pg_notify(?, q) FROM (SELECT set_config('synchronous_commit', 'off', true)) AS c,"
        + " unnest(?) AS q", rs -> null, channel, queues.toArray(String[]::new));
  }

  @Override
  public List<Claimed> claim(Session s, String queue, Collection<String> names, int limit, String owner, Instant now)
      throws SQLException {
    if (names.isEmpty() || limit < 1) {
      return List.of();
    }
    try (PreparedStatement ps = s.connection().prepareStatement(claimSql(names.size()))) {
      int i = 1;
      ps.setString(i++, owner);
      ps.setObject(i++, ts(now));
      ps.setObject(i++, ts(now));
      i = bindClaimFilter(ps, i, queue, names, now);
      ps.setInt(i, limit);
      return readClaimed(ps.executeQuery(), 0);
    }
  }

  /**
   * The claim: one UPDATE of the rows a locking sub-select picks. The sub-select is an {@code
   * ARRAY(...)} so that it runs once, as an InitPlan, and the UPDATE finds its rows by primary key.
   * With {@code id IN (SELECT ... LIMIT ?)} the generic plan that the driver's prepared statement
   * ends up with (the limit unknown, estimated at thousands of rows) joins the sub-select to a
   * sequential scan of the whole table: measured 18 ms per claim at 40,000 queued rows against 0.6
   * ms this way. The rows come back in claim order (priority first): the lane starts the first ones
   * and keeps the rest ready in that order.
   */
  static String claimSql(int names) {
    return "WITH claimed AS (UPDATE " + TABLE + " t SET state = 'running', lease_owner = ?, heartbeat_at = ?,"
        + " started_at = ?, attempt = t.attempt + 1 WHERE t.id = ANY (ARRAY(" + claimSelect(names) + ")) RETURNING "
        + CLAIMED_COLUMNS.replace("id, ", "t.id, ") + ", t.priority) SELECT " + CLAIMED_COLUMNS
        + " FROM claimed ORDER BY priority DESC, run_at, id";
  }

  /**
   * One statement whatever the number of tasks, so that its plan is prepared once: the attempts
   * come as two arrays, and the rows changed are returned.
   */
  @Override
  public List<Long> succeedAll(Session s, List<Claimed> tasks, String owner, Instant now) {
    if (tasks.isEmpty()) {
      return List.of();
    }
    Long[] ids = new Long[tasks.size()];
    Integer[] attempts = new Integer[tasks.size()];
    for (int k = 0; k < tasks.size(); k++) {
      ids[k] = tasks.get(k).id();
      attempts[k] = tasks.get(k).attempt();
    }
    return s.query("UPDATE " + TABLE + " t SET state = 'succeeded', finished_at = ?, heartbeat_at = NULL"
        + " FROM unnest(CAST(? AS bigint[]), CAST(? AS int[])) AS v(id, attempt) WHERE t.id = v.id"
        + " AND t.attempt = v.attempt AND t.lease_owner = ? AND t.state = 'running' RETURNING t.id",
        rs -> rs.getLong(1), ts(now), ids, attempts, owner);
  }

  @Override
  public int prune(Session s, Instant cutoff, int limit) {
    return s.update(pruneSql(), ts(cutoff), limit);
  }

  /**
   * One batch of pruning. The sub-select is an {@code ARRAY(...)} (an InitPlan, rows then found by
   * primary key): with {@code id IN (SELECT ... LIMIT ?)} the generic plan of the repeated statement
   * joins to a sequential scan of the whole table in every batch.
   */
  static String pruneSql() {
    return "DELETE FROM " + TABLE + " WHERE id = ANY (ARRAY(" + pruneSelect() + "))";
  }
}
