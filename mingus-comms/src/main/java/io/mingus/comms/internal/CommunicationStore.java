package io.mingus.comms.internal;

import static io.mingus.comms.internal.Rows.ts;

import io.mingus.comms.Channel;
import io.mingus.comms.CommsException;
import io.mingus.comms.Communication;
import io.mingus.comms.CommunicationQuery;
import io.mingus.comms.CommunicationStatus;
import io.mingus.comms.Page;
import io.mingus.db.Database;
import io.mingus.db.DatabaseErrors;
import io.mingus.db.Dialect;
import io.mingus.db.ErrorKind;
import io.mingus.db.Propagation;
import io.mingus.db.Session;
import io.mingus.db.TransactionOptions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The one owner of every statement on {@code communication_metrics}: writes and reads its rows in
 * the caller's transaction, from the request's insert through the send task's outcome ({@code
 * markSent}, {@code markSuppressed}, {@code markFailed}).
 *
 * <p>The idempotent insert: the unique index on idempotency_key decides which of two concurrent
 * requests with one key wins. On PostgreSQL {@code INSERT ... ON CONFLICT DO NOTHING} waits for the
 * winner's transaction and then inserts nothing; on H2 the insert runs under a savepoint (a {@link
 * Propagation#NESTED} block) and the unique violation is caught. Either way the loser then reads
 * the winner's row. Stateless and thread-safe.
 */
public final class CommunicationStore {
  private static final String INSERT = "INSERT INTO communication_metrics (user_id, channel, message_type, status,"
      + " subject, message, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
  private static final int MAX_KEY_ATTEMPTS = 50;
  /** The longest error text recorded; longer ones are cut. */
  static final int MAX_ERROR = 1000;

  private final Database db;

  public CommunicationStore(Database db) {
    this.db = db;
  }

  /** The outcome of an idempotent insert: the row, and whether this call created it. */
  public record Inserted(Communication communication, boolean created) {}

  /** Inserts {@code c}, or returns the row that already holds its idempotency key. */
  public Inserted insert(Session session, NewCommunication c) {
    if (c.idempotencyKey() == null) {
      return new Inserted(find(session, insertOne(session, INSERT, c).orElseThrow()).orElseThrow(), true);
    }
    for (int attempt = 1; attempt <= MAX_KEY_ATTEMPTS; attempt++) {
      Optional<Long> id = session.dialect() == Dialect.POSTGRESQL
          ? insertOne(session, INSERT + " ON CONFLICT (idempotency_key) DO NOTHING", c)
          : insertUnderSavepoint(c);
      if (id.isPresent()) {
        return new Inserted(find(session, id.get()).orElseThrow(), true);
      }
      Optional<Communication> existing = findByKey(session, c.idempotencyKey());
      if (existing.isPresent()) {
        return new Inserted(existing.get(), false);
      }
      // The holder of the key rolled back between our insert and our read: try again.
      Thread.onSpinWait();
    }
    throw new CommsException("could not insert or find the communication with idempotency key of length "
        + c.idempotencyKey().length() + " after " + MAX_KEY_ATTEMPTS + " attempts: concurrent requests with this key"
        + " keep rolling back; retry the request");
  }

  private Optional<Long> insertUnderSavepoint(NewCommunication c) {
    try {
      return db.fromTransaction(TransactionOptions.named("comms.insert-keyed").withPropagation(Propagation.NESTED),
          s -> insertOne(s, INSERT, c));
    } catch (RuntimeException e) {
      if (DatabaseErrors.classify(e).kind() == ErrorKind.INTEGRITY && isKeyViolation(e)) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private static boolean isKeyViolation(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = t.getMessage();
      if (m != null && m.toUpperCase(java.util.Locale.ROOT).contains("COMMUNICATION_METRICS_IDEMPOTENCY_KEY")) {
        return true;
      }
    }
    return false;
  }

  private static Optional<Long> insertOne(Session session, String sql, NewCommunication c) {
    try (PreparedStatement ps = session.connection().prepareStatement(sql, new String[] {"id"})) {
      bind(ps, c);
      ps.executeUpdate();
      try (ResultSet keys = ps.getGeneratedKeys()) {
        return keys.next() ? Optional.of(keys.getLong(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new CommsException("could not insert a " + c.channel().label() + " communication for user "
          + c.userId() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Inserts every row with one JDBC batch ({@code addBatch}/{@code executeBatch}) and returns the
   * new ids in order. The rows must not carry idempotency keys already taken.
   */
  public List<Long> insertAll(Session session, List<NewCommunication> rows) {
    if (rows.isEmpty()) {
      return List.of();
    }
    Connection conn = session.connection();
    try (PreparedStatement ps = conn.prepareStatement(INSERT, new String[] {"id"})) {
      for (NewCommunication c : rows) {
        bind(ps, c);
        ps.addBatch();
      }
      ps.executeBatch();
      List<Long> ids = new ArrayList<>(rows.size());
      try (ResultSet keys = ps.getGeneratedKeys()) {
        while (keys.next()) {
          ids.add(keys.getLong(1));
        }
      }
      if (ids.size() != rows.size()) {
        throw new CommsException("the JDBC batch insert of " + rows.size() + " communications returned "
            + ids.size() + " generated ids; the driver does not report batch keys");
      }
      return ids;
    } catch (SQLException e) {
      throw new CommsException("could not insert a batch of " + rows.size() + " communications: " + e.getMessage(), e);
    }
  }

  private static void bind(PreparedStatement ps, NewCommunication c) throws SQLException {
    ps.setLong(1, c.userId());
    ps.setString(2, c.channel().label());
    ps.setString(3, c.messageType());
    ps.setString(4, c.status().label());
    if (c.subject() == null) {
      ps.setNull(5, Types.VARCHAR);
    } else {
      ps.setString(5, c.subject());
    }
    ps.setString(6, c.message());
    if (c.idempotencyKey() == null) {
      ps.setNull(7, Types.VARCHAR);
    } else {
      ps.setString(7, c.idempotencyKey());
    }
    ps.setObject(8, ts(c.createdAt()));
  }

  /** Records the id of the communication's send task. */
  public void setTask(Session session, long id, long taskId) {
    session.update("UPDATE communication_metrics SET task_id = ? WHERE id = ?", taskId, id);
  }

  /**
   * Records the ids of the send tasks of many communications in one JDBC batch: {@code taskIds[i]}
   * for {@code ids[i]}.
   */
  public void setTasks(Session session, List<Long> ids, long[] taskIds) {
    if (ids.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = session.connection().prepareStatement(
        "UPDATE communication_metrics SET task_id = ? WHERE id = ?")) {
      for (int i = 0; i < ids.size(); i++) {
        ps.setLong(1, taskIds[i]);
        ps.setLong(2, ids.get(i));
        ps.addBatch();
      }
      ps.executeBatch();
    } catch (SQLException e) {
      throw new CommsException("could not record the task ids of a batch of " + ids.size() + " communications: "
          + e.getMessage(), e);
    }
  }

  /** What a send task needs of the communication it delivers. */
  public record Pending(long id, long userId, Channel channel, CommunicationStatus status, String subject,
      String message) {}

  /** Locks the communication ({@code FOR UPDATE}) for its send task, or empty when there is none. */
  public Optional<Pending> lockForSend(Session session, long id) {
    return session.queryOne("SELECT id, user_id, channel, status, subject, message FROM communication_metrics"
        + " WHERE id = ? FOR UPDATE", rs -> new Pending(rs.getLong("id"), rs.getLong("user_id"),
            Channel.of(rs.getString("channel")), CommunicationStatus.of(rs.getString("status")),
            rs.getString("subject"), rs.getString("message")), id);
  }

  /** How many communications of the user were sent at or after {@code since}. */
  public long sentSince(Session session, long userId, Instant since) {
    return session.queryOne("SELECT COUNT(*) FROM communication_metrics WHERE user_id = ? AND status = 'sent'"
        + " AND sent_at >= ?", rs -> rs.getLong(1), userId, ts(since)).orElse(0L);
  }

  /** Records that {@code provider} accepted the communication as {@code providerMessageId} at {@code sentAt}. */
  public void markSent(Session session, long id, String provider, String providerMessageId, Instant sentAt) {
    session.update("UPDATE communication_metrics SET status = 'sent', provider = ?, provider_message_id = ?,"
        + " sent_at = ?, error = NULL WHERE id = ?", provider, providerMessageId, ts(sentAt), id);
  }

  /** Records that the user's preferences forbade the communication, and why. */
  public void markSuppressed(Session session, long id, String reason) {
    end(session, id, CommunicationStatus.SUPPRESSED, null, reason);
  }

  /** Records that the communication failed at {@code provider} (or before it, when null), and why. */
  public void markFailed(Session session, long id, String provider, String error) {
    end(session, id, CommunicationStatus.FAILED, provider, error);
  }

  private static void end(Session session, long id, CommunicationStatus status, String provider, String error) {
    session.update("UPDATE communication_metrics SET status = ?, provider = ?, error = ? WHERE id = ?", status.label(),
        provider, clip(error), id);
  }

  /**
   * Marks a communication still {@code queued} failed, keeping whatever outcome it has otherwise;
   * returns whether it was queued.
   */
  public boolean markFailedIfQueued(Session session, long id, String error) {
    return session.update("UPDATE communication_metrics SET status = 'failed', error = ? WHERE id = ?"
        + " AND status = 'queued'", clip(error), id) == 1;
  }

  /** The error text as recorded: at most {@value #MAX_ERROR} characters. */
  static String clip(String error) {
    return error == null || error.length() <= MAX_ERROR ? error : error.substring(0, MAX_ERROR);
  }

  /** The communication with this id. */
  public Optional<Communication> find(Session session, long id) {
    return session.queryOne("SELECT " + Rows.COMMUNICATION_COLUMNS + " FROM communication_metrics WHERE id = ?",
        Rows::communication, id);
  }

  /** The communication holding this idempotency key. */
  public Optional<Communication> findByKey(Session session, String key) {
    return session.queryOne("SELECT " + Rows.COMMUNICATION_COLUMNS
        + " FROM communication_metrics WHERE idempotency_key = ?", Rows::communication, key);
  }

  /** The communications holding these idempotency keys. */
  public List<Communication> findByKeys(Session session, List<String> keys) {
    if (keys.isEmpty()) {
      return List.of();
    }
    String marks = String.join(", ", java.util.Collections.nCopies(keys.size(), "?"));
    return session.query("SELECT " + Rows.COMMUNICATION_COLUMNS + " FROM communication_metrics WHERE idempotency_key"
        + " IN (" + marks + ")", Rows::communication, keys.toArray());
  }

  /** One page of communications, newest first, after the cursor's id. */
  public Page<Communication> page(Session session, CommunicationQuery q, Long beforeId) {
    StringBuilder sql = new StringBuilder("SELECT " + Rows.COMMUNICATION_COLUMNS + " FROM communication_metrics WHERE 1 = 1");
    List<Object> params = new ArrayList<>();
    if (q.userId() != null) {
      sql.append(" AND user_id = ?");
      params.add(q.userId());
    }
    if (q.status() != null) {
      sql.append(" AND status = ?");
      params.add(q.status().label());
    }
    if (q.channel() != null) {
      sql.append(" AND channel = ?");
      params.add(q.channel().label());
    }
    if (beforeId != null) {
      sql.append(" AND id < ?");
      params.add(beforeId);
    }
    sql.append(" ORDER BY id DESC FETCH FIRST ").append(q.limit() + 1).append(" ROWS ONLY");
    List<Communication> rows = session.query(sql.toString(), Rows::communication, params.toArray());
    if (rows.size() <= q.limit()) {
      return new Page<>(rows, null);
    }
    List<Communication> items = rows.subList(0, q.limit());
    return new Page<>(items, Cursor.encode(items.getLast().id()));
  }
}
