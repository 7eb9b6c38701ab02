package io.mingus.tasks.internal;

import io.mingus.db.Session;
import io.mingus.db.TransactionOptions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.h2.jdbc.JdbcConnection;

/**
 * The task table on H2, which has no {@code ON CONFLICT}, no {@code RETURNING} and no
 * LISTEN/NOTIFY: a unique key is checked, then inserted under a savepoint; a claim reads
 * candidates, locks them with {@code SKIP LOCKED}, then updates them; other processes' workers
 * find new tasks by polling.
 */
final class H2TaskStore extends SqlTaskStore {

  H2TaskStore() {
    super("?");
  }

  @Override
  public boolean notifies() {
    return false;
  }

  @Override
  public String channel() {
    return "mingus_tasks";
  }

  /** H2 has no advisory locks, and an in-process database no session another process could outlive. */
  @Override
  public boolean tracksSessions() {
    return false;
  }

  @Override
  public boolean lockSession(Connection c, long key) {
    return false;
  }

  @Override
  public void registerSession(Session s, String workerId, long key, int pid, Instant now) {}

  @Override
  public void unregisterSession(Session s, String workerId, long key) {}

  @Override
  public List<SessionKey> goneSessions(Session s, String except) {
    return List.of();
  }

  @Override
  public List<Stale> orphaned(Session s, SessionKey gone, int limit) {
    return List.of();
  }

  @Override
  public boolean forgetSession(Session s, SessionKey gone) {
    return false;
  }

  @Override
  public boolean hasWrites(Session session) {
    try {
      return session.connection().unwrap(JdbcConnection.class).getSession().hasPendingTransaction();
    } catch (SQLException | RuntimeException e) {
      return true;
    }
  }

  /** H2 runs in this JVM: its query timeout costs nothing, so it backs up the worker's watchdog. */
  @Override
  public TransactionOptions withTaskTimeout(TransactionOptions options, Duration timeout) {
    return options.withTimeout(timeout);
  }

  @Override
  public void notifyQueues(Session s, Collection<String> queues) {
    throw new UnsupportedOperationException("H2 has no LISTEN/NOTIFY: workers of other processes poll");
  }

  @Override
  public long insert(Session s, NewTask t) throws SQLException {
    Connection c = s.connection();
    if (t.uniqueKey() == null) {
      try (PreparedStatement ps = c.prepareStatement(insertSql, new String[] {"id"})) {
        bindInsert(ps, t);
        ps.executeUpdate();
        return firstKey(ps);
      }
    }
    Long found = findByKey(s, t.uniqueKey());
    if (found != null) {
      return found;
    }
    Savepoint sp = c.getAutoCommit() ? null : c.setSavepoint();
    try (PreparedStatement ps = c.prepareStatement(insertSql, new String[] {"id"})) {
      bindInsert(ps, t);
      ps.executeUpdate();
      long id = firstKey(ps);
      if (sp != null) {
        c.releaseSavepoint(sp);
      }
      return id;
    } catch (SQLException e) {
      if (!"23505".equals(e.getSQLState())) {
        throw e;
      }
      if (sp != null) {
        c.rollback(sp);
      }
      // in auto-commit the failed insert undid itself
      return existing(s, t.uniqueKey());
    }
  }

  /**
   * H2 locks every row matching a {@code FOR UPDATE} query before it applies the {@code LIMIT}, so
   * a claim at 10,000 queued rows would lock them all. Instead: read candidates without locks
   * (four times the limit, so that workers racing for the head of the queue still find some), lock
   * those still queued with {@code SKIP LOCKED}, and take the first {@code limit}.
   */
  @Override
  public List<Claimed> claim(Session s, String queue, Collection<String> names, int limit, String owner, Instant now)
      throws SQLException {
    if (names.isEmpty() || limit < 1) {
      return List.of();
    }
    List<Long> candidates = candidates(s.connection(), queue, names, limit * 4, now);
    if (candidates.isEmpty()) {
      return List.of();
    }
    List<Claimed> rows;
    try (PreparedStatement ps = s.connection().prepareStatement("SELECT " + CLAIMED_COLUMNS + " FROM " + TABLE
        + " WHERE id IN (" + marks(candidates.size()) + ") AND state = 'queued' ORDER BY priority DESC, run_at, id"
        + " FOR UPDATE SKIP LOCKED")) {
      for (int k = 0; k < candidates.size(); k++) {
        ps.setLong(k + 1, candidates.get(k));
      }
      rows = readClaimed(ps.executeQuery(), 1);
    }
    if (rows.size() > limit) {
      rows = rows.subList(0, limit);
    }
    if (!rows.isEmpty()) {
      markClaimed(s.connection(), rows, owner, now);
    }
    return rows;
  }

  private static List<Long> candidates(Connection c, String queue, Collection<String> names, int limit, Instant now)
      throws SQLException {
    // Ordering by the claim index's own columns lets H2 read it in order instead of sorting.
    String unlocked = claimSelect(names.size()).replace(" FOR UPDATE SKIP LOCKED", "")
        .replace("ORDER BY priority DESC", "ORDER BY state, queue, priority DESC");
    List<Long> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(unlocked)) {
      int i = bindClaimFilter(ps, 1, queue, names, now);
      ps.setInt(i, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getLong(1));
        }
      }
    }
    return out;
  }

  private static void markClaimed(Connection c, List<Claimed> rows, String owner, Instant now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + TABLE + " SET state = 'running', lease_owner = ?,"
        + " heartbeat_at = ?, started_at = ?, attempt = attempt + 1 WHERE id IN (" + marks(rows.size()) + ")")) {
      ps.setString(1, owner);
      ps.setObject(2, ts(now));
      ps.setObject(3, ts(now));
      for (int k = 0; k < rows.size(); k++) {
        ps.setLong(4 + k, rows.get(k).id());
      }
      ps.executeUpdate();
    }
  }

  /** H2 has no {@code RETURNING}: its data change delta table ({@code FINAL TABLE}) says which rows changed. */
  @Override
  public List<Long> succeedAll(Session s, List<Claimed> tasks, String owner, Instant now) {
    if (tasks.isEmpty()) {
      return List.of();
    }
    return s.query("SELECT id FROM FINAL TABLE (" + succeedAllSql(tasks.size()) + ")", rs -> rs.getLong(1),
        succeedAllParams(tasks, owner, now));
  }

  @Override
  public int prune(Session s, Instant cutoff, int limit) {
    return s.update("DELETE FROM " + TABLE + " WHERE id IN (" + pruneSelect() + ")", ts(cutoff), limit);
  }
}
