package io.mingus.tasks.internal;

import io.mingus.db.Session;
import io.mingus.tasks.FailureKind;
import io.mingus.tasks.TaskRecord;
import io.mingus.tasks.TaskState;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The statements both engines run alike, and the helpers of those they run differently.
 *
 * <p>How the task table is written. A row is inserted {@code queued} (attempt 0). A claim moves it
 * to {@code running} with this worker as {@code lease_owner}, a fresh {@code heartbeat_at} and
 * attempt + 1; the engines differ here ({@code claim}, abstract). From then on every statement a
 * worker runs on the row is fenced by {@code id, attempt, lease_owner, state = 'running'}, so that
 * a worker whose lease passed to another (it stopped heartbeating and was rescued) changes nothing:
 * success ({@code succeeded}, or many at once for tasks that wrote nothing), a retry ({@code
 * queued} at a later {@code run_at}, the error recorded), a failure for good ({@code failed}), or a
 * give-back ({@code queued}, attempt - 1). Heartbeats touch only the owner's running rows; the
 * rescuer locks stale rows with {@code SKIP LOCKED} and re-queues or fails them unfenced, since
 * their owner is gone. Administration reads any row and changes only finished or queued ones.
 *
 * <p>Timestamps are bound as {@link OffsetDateTime} in UTC, which both drivers map to {@code
 * TIMESTAMP WITH TIME ZONE} whatever the session's time zone.
 */
abstract class SqlTaskStore implements TaskStore {
  static final String COLUMNS = "id, queue, name, payload, priority, state, attempt, max_attempts, run_at, lease_owner,"
      + " heartbeat_at, unique_key, last_error_kind, last_error_message, last_error_stack, created_at, started_at,"
      + " finished_at";
  static final String CLAIMED_COLUMNS = "id, queue, name, payload, attempt, max_attempts, timeout_ms, run_at,"
      + " created_at";
  private static final String FENCE = " WHERE id = ? AND attempt = ? AND lease_owner = ? AND state = 'running'";

  /** The INSERT of one task, its payload bound as {@code payloadParameter} ({@code ?}, or a cast of it). */
  final String insertSql;

  SqlTaskStore(String payloadParameter) {
    this.insertSql = "INSERT INTO " + TABLE + " (queue, name, payload, priority, state, attempt, max_attempts,"
        + " timeout_ms, run_at, unique_key, created_at) VALUES (?, ?, " + payloadParameter
        + ", ?, 'queued', 0, ?, ?, ?, ?, ?)";
  }

  static OffsetDateTime ts(Instant i) {
    return i == null ? null : OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
  }

  static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  static String marks(int n) {
    return "?" + ", ?".repeat(Math.max(0, n - 1));
  }

  // ---- enqueue

  @Override
  public List<Long> insertBatch(Session s, List<NewTask> tasks) throws SQLException {
    List<Long> ids = new ArrayList<>(tasks.size());
    try (PreparedStatement ps = s.connection().prepareStatement(insertSql, new String[] {"id"})) {
      for (NewTask t : tasks) {
        bindInsert(ps, t);
        ps.addBatch();
      }
      ps.executeBatch();
      try (ResultSet keys = ps.getGeneratedKeys()) {
        while (keys.next()) {
          ids.add(keys.getLong(1));
        }
      }
    }
    if (ids.size() != tasks.size()) {
      throw new SQLException("batch insert of " + tasks.size() + " tasks returned " + ids.size() + " ids", "55000");
    }
    return ids;
  }

  static void bindInsert(PreparedStatement ps, NewTask t) throws SQLException {
    bindInsert(ps, 1, t);
  }

  /** Binds {@code t} to the nine parameters of {@link #insertSql}'s values, the first at {@code from}. */
  static void bindInsert(PreparedStatement ps, int from, NewTask t) throws SQLException {
    ps.setString(from, t.queue());
    ps.setString(from + 1, t.name());
    ps.setString(from + 2, t.payloadJson());
    ps.setInt(from + 3, t.priority());
    ps.setInt(from + 4, t.maxAttempts());
    ps.setLong(from + 5, t.timeout().toMillis());
    ps.setObject(from + 6, ts(t.runAt()));
    if (t.uniqueKey() == null) {
      ps.setNull(from + 7, Types.VARCHAR);
    } else {
      ps.setString(from + 7, t.uniqueKey());
    }
    ps.setObject(from + 8, ts(t.createdAt()));
  }

  static long firstKey(Statement ps) throws SQLException {
    try (ResultSet keys = ps.getGeneratedKeys()) {
      if (!keys.next()) {
        throw new SQLException("the insert of a task returned no generated id", "55000");
      }
      return keys.getLong(1);
    }
  }

  static Long findByKey(Session s, String key) throws SQLException {
    try (PreparedStatement ps = s.connection().prepareStatement("SELECT id FROM " + TABLE + " WHERE unique_key = ?")) {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }

  /** The id of the task holding {@code key}, which an insert just found taken. */
  static long existing(Session s, String key) throws SQLException {
    Long id = findByKey(s, key);
    if (id == null) {
      throw new SQLException("a task with unique key '" + key + "' conflicted on insert but cannot be read back;"
          + " it was deleted concurrently", "40001");
    }
    return id;
  }

  // ---- claiming

  /** The due, queued tasks of a queue with one of {@code names} names, in claim order, locked. */
  static String claimSelect(int names) {
    return "SELECT id FROM " + TABLE + " WHERE state = 'queued' AND queue = ? AND run_at <= ? AND name IN ("
        + marks(names) + ") ORDER BY priority DESC, run_at, id LIMIT ? FOR UPDATE SKIP LOCKED";
  }

  static int bindClaimFilter(PreparedStatement ps, int i, String queue, Collection<String> names, Instant now)
      throws SQLException {
    ps.setString(i++, queue);
    ps.setObject(i++, ts(now));
    for (String n : names) {
      ps.setString(i++, n);
    }
    return i;
  }

  /** Reads claimed rows; {@code attemptOffset} is 1 when the rows were read before their attempt was counted. */
  static List<Claimed> readClaimed(ResultSet rs, int attemptOffset) throws SQLException {
    try (rs) {
      List<Claimed> out = new ArrayList<>();
      while (rs.next()) {
        out.add(new Claimed(rs.getLong("id"), rs.getString("queue"), rs.getString("name"), rs.getString("payload"),
            rs.getInt("attempt") + attemptOffset, rs.getInt("max_attempts"),
            Duration.ofMillis(rs.getLong("timeout_ms")), instant(rs, "run_at"), instant(rs, "created_at")));
      }
      return out;
    }
  }

  // ---- outcomes

  @Override
  public int succeed(Session s, Claimed t, String owner, Instant now) {
    return s.update("UPDATE " + TABLE + " SET state = 'succeeded', finished_at = ?, heartbeat_at = NULL" + FENCE,
        ts(now), t.id(), t.attempt(), owner);
  }

  /**
   * The UPDATE of {@link #succeedAll} with its parameters: {@code id IN (...)} narrows to the rows
   * by primary key, the OR list fences each by its attempt.
   */
  static String succeedAllSql(int n) {
    StringBuilder sql = new StringBuilder("UPDATE " + TABLE + " SET state = 'succeeded', finished_at = ?,"
        + " heartbeat_at = NULL WHERE id IN (" + marks(n) + ") AND lease_owner = ? AND state = 'running' AND (");
    for (int k = 0; k < n; k++) {
      sql.append(k == 0 ? "" : " OR ").append("(id = ? AND attempt = ?)");
    }
    return sql.append(')').toString();
  }

  static Object[] succeedAllParams(List<Claimed> tasks, String owner, Instant now) {
    List<Object> params = new ArrayList<>(2 + tasks.size() * 3);
    params.add(ts(now));
    for (Claimed t : tasks) {
      params.add(t.id());
    }
    params.add(owner);
    for (Claimed t : tasks) {
      params.add(t.id());
      params.add(t.attempt());
    }
    return params.toArray();
  }

  @Override
  public List<Long> fence(Session s, List<Claimed> tasks, String owner) {
    if (tasks.isEmpty()) {
      return List.of();
    }
    Map<Long, Integer> attempts = new java.util.HashMap<>();
    for (Claimed t : tasks) {
      attempts.put(t.id(), t.attempt());
    }
    // FOR UPDATE rather than an UPDATE of the heartbeat: the lock is all the fence needs, and it
    // writes no new row version (the heartbeat is in a partial index: never a HOT update).
    List<Long> ours = new ArrayList<>(tasks.size());
    s.query("SELECT id, attempt FROM " + TABLE + " WHERE id = ANY (?) AND lease_owner = ? AND state = 'running'"
        + " ORDER BY id FOR UPDATE", rs -> {
          long id = rs.getLong(1);
          if (attempts.get(id) == rs.getInt(2)) {
            ours.add(id);
          }
          return null;
        }, attempts.keySet().toArray(Long[]::new), owner);
    return ours;
  }

  @Override
  public int retryLater(Session s, Claimed t, String owner, Instant runAt, TaskFailure f) {
    return s.update("UPDATE " + TABLE + " SET state = 'queued', run_at = ?, heartbeat_at = NULL,"
        + " last_error_kind = ?, last_error_message = ?, last_error_stack = ?" + FENCE,
        ts(runAt), f.kind().name(), f.message(), f.stack(), t.id(), t.attempt(), owner);
  }

  @Override
  public int fail(Session s, Claimed t, String owner, Instant now, TaskFailure f) {
    return s.update("UPDATE " + TABLE + " SET state = 'failed', finished_at = ?, heartbeat_at = NULL,"
        + " last_error_kind = ?, last_error_message = ?, last_error_stack = ?" + FENCE,
        ts(now), f.kind().name(), f.message(), f.stack(), t.id(), t.attempt(), owner);
  }

  @Override
  public int giveBack(Session s, Claimed t, String owner, Instant runAt) {
    return s.update("UPDATE " + TABLE + " SET state = 'queued', attempt = attempt - 1, run_at = ?, lease_owner = NULL,"
        + " heartbeat_at = NULL" + FENCE, ts(runAt), t.id(), t.attempt(), owner);
  }

  @Override
  public int heartbeat(Session s, String owner, List<Long> ids, Instant now) {
    List<Object> params = new ArrayList<>(ids.size() + 2);
    params.add(ts(now));
    params.add(owner);
    params.addAll(ids);
    return s.update("UPDATE " + TABLE + " SET heartbeat_at = ? WHERE lease_owner = ? AND state = 'running' AND id IN ("
        + marks(ids.size()) + ")", params.toArray());
  }

  @Override
  public List<Stale> stale(Session s, Instant cutoff, int limit) {
    return s.query("SELECT id, attempt, max_attempts, queue, name, payload FROM " + TABLE + " WHERE state = 'running'"
        + " AND heartbeat_at < ? ORDER BY heartbeat_at LIMIT ? FOR UPDATE SKIP LOCKED",
        rs -> new Stale(rs.getLong(1), rs.getInt(2), rs.getInt(3), rs.getString(4), rs.getString(5), rs.getString(6)),
        ts(cutoff), limit);
  }

  @Override
  public int rescue(Session s, long id, boolean attemptsLeft, String why, Instant now) {
    String kind = FailureKind.RESCUED.name();
    if (attemptsLeft) {
      return s.update("UPDATE " + TABLE + " SET state = 'queued', run_at = ?, lease_owner = NULL, heartbeat_at = NULL,"
          + " last_error_kind = ?, last_error_message = ? WHERE id = ? AND state = 'running'",
          ts(now), kind, why, id);
    }
    return s.update("UPDATE " + TABLE + " SET state = 'failed', finished_at = ?, heartbeat_at = NULL,"
        + " last_error_kind = ?, last_error_message = ? WHERE id = ? AND state = 'running'",
        ts(now), kind, why + ", with no attempts left", id);
  }

  // ---- administration

  @Override
  public List<TaskRecord> list(Session s, TaskState state, String queue, int limit) {
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM " + TABLE + " WHERE 1 = 1");
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
    return s.query(sql.toString(), SqlTaskStore::record, params.toArray());
  }

  @Override
  public Map<String, Map<TaskState, Long>> counts(Session s, boolean active) {
    Map<String, Map<TaskState, Long>> out = new TreeMap<>();
    // only queued and running: cheap on PostgreSQL, where partial indexes hold just those rows
    String where = active ? " WHERE state IN ('queued', 'running')" : "";
    s.query("SELECT queue, state, COUNT(*) FROM " + TABLE + where + " GROUP BY queue, state", rs -> {
      out.computeIfAbsent(rs.getString(1), q -> new EnumMap<>(TaskState.class))
          .put(TaskState.of(rs.getString(2)), rs.getLong(3));
      return null;
    });
    return out;
  }

  @Override
  public Optional<TaskRecord> find(Session s, long id) {
    return s.queryOne("SELECT " + COLUMNS + " FROM " + TABLE + " WHERE id = ?", SqlTaskStore::record, id);
  }

  @Override
  public boolean retry(Session s, long id, Instant now) {
    return s.update("UPDATE " + TABLE + " SET state = 'queued', attempt = 0, run_at = ?, lease_owner = NULL,"
        + " heartbeat_at = NULL, started_at = NULL, finished_at = NULL"
        + " WHERE id = ? AND state IN ('failed', 'cancelled')",
        ts(now), id) == 1;
  }

  @Override
  public boolean cancel(Session s, long id, Instant now) {
    return s.update("UPDATE " + TABLE + " SET state = 'cancelled', finished_at = ? WHERE id = ? AND state = 'queued'",
        ts(now), id) == 1;
  }

  /** The finished tasks that one prune batch deletes: finished before a cutoff, up to a limit. */
  static String pruneSelect() {
    return "SELECT id FROM " + TABLE + " WHERE state IN ('succeeded', 'failed', 'cancelled')"
        + " AND finished_at < ? LIMIT ?";
  }

  static TaskRecord record(ResultSet rs) throws SQLException {
    return new TaskRecord(rs.getLong("id"), rs.getString("queue"), rs.getString("name"), rs.getString("payload"),
        rs.getInt("priority"), TaskState.of(rs.getString("state")), rs.getInt("attempt"), rs.getInt("max_attempts"),
        instant(rs, "run_at"), rs.getString("lease_owner"), instant(rs, "heartbeat_at"), rs.getString("unique_key"),
        FailureKind.ofStored(rs.getString("last_error_kind")), rs.getString("last_error_message"),
        rs.getString("last_error_stack"),
        instant(rs, "created_at"), instant(rs, "started_at"), instant(rs, "finished_at"));
  }
}
