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
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one owner of the statements on {@code communication_metrics}: writes and reads its rows in
 * the caller's transaction, from the request's insert to the send task's reservation ({@link
 * #lockForSend}, {@link #markReserved}) and outcome ({@link #markDelivered}, {@link
 * #failIfPending}).
 *
 * <p>The send task's statements take many communications at once: on PostgreSQL each is one
 * statement whatever their number ({@code WHERE id = ANY(?)}, or {@code UPDATE ... FROM unnest(...)}
 * with one array per column), on H2 a JDBC batch of one-row statements (H2 runs in the process: a
 * statement costs no round trip).
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
  /** How many communication ids {@link #nextId} draws at once. */
  static final int ID_BLOCK = 32;
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

  // ---- the fast path of a send on PostgreSQL (issue 14)

  /** Ids drawn ahead from the table's identity sequence, handed out in order (PostgreSQL). */
  private final ReentrantLock idLock = new ReentrantLock();
  private long[] drawn = new long[0];
  /** The statement that draws ids, naming the sequence of this database's table; set at first use. */
  private volatile String drawSql;
  private int nextId;

  /**
   * A new communication id, drawn ahead in blocks of {@value #ID_BLOCK} from the table's identity
   * sequence (one round trip per block, in the caller's transaction: a sequence ignores rollbacks).
   * The ids of one process rise with time; those of two processes interleave by up to a block, and
   * a block unused at exit leaves a gap, as a sequence cache does. PostgreSQL only.
   */
  public long nextId(Session session) {
    idLock.lock();
    try {
      if (nextId == drawn.length) {
        drawn = drawIds(session, ID_BLOCK);
        nextId = 0;
      }
      return drawn[nextId++];
    } finally {
      idLock.unlock();
    }
  }

  /** {@code n} new communication ids in one round trip, from the table's identity sequence (PostgreSQL). */
  public long[] drawIds(Session session, int n) {
    String sql = drawSql;
    if (sql == null) {
      // the sequence named once, as a literal: nextval() of a text looks the name up on every call
      String sequence = session.queryOne("SELECT pg_get_serial_sequence('communication_metrics', 'id')",
          rs -> rs.getString(1)).orElseThrow();
      sql = "SELECT nextval('" + sequence.replace("'", "''") + "'::regclass) FROM generate_series(1, ?)";
      drawSql = sql;
    }
    return session.query(sql, rs -> rs.getLong(1), n).stream().mapToLong(Long::longValue).toArray();
  }

  /**
   * The insert of a {@code queued} communication with a drawn id and the id of its send task, as a
   * row statement for {@code TaskQueue.enqueueWithRow} (the task's id is {@code new_task.id}): it
   * inserts only if the recipient exists and has an address for the channel and the idempotency key
   * and the id are free, so that the task is enqueued only with it. A key or id taken is skipped
   * ({@code ON CONFLICT DO NOTHING}, which waits for a concurrent holder of either to end): the id
   * taken means an earlier try of the same send wrote it. PostgreSQL only; its parameters are
   * {@link #queuedParams}.
   */
  public static final String INSERT_QUEUED = "INSERT INTO communication_metrics (id, channel, message_type, status,"
      + " subject, message, idempotency_key, created_at, task_id, user_id) SELECT ?, ?, ?, ?, CAST(? AS varchar), ?,"
      + " CAST(? AS varchar), ?, new_task.id, u.id FROM new_task, users u WHERE u.id = ?"
      + " AND (? = 'email' OR u.phone IS NOT NULL) ON CONFLICT DO NOTHING RETURNING id";

  /** The parameters of {@link #INSERT_QUEUED} for {@code c} with id {@code id}. */
  public static List<Object> queuedParams(NewCommunication c, long id) {
    return Arrays.asList(id, c.channel().label(), c.messageType(), c.status().label(), c.subject(), c.message(),
        c.idempotencyKey(), ts(c.createdAt()), c.userId(), c.channel().label());
  }

  /**
   * Inserts every row with its id and send task in one statement ({@code unnest} of one array per
   * column). The rows must not carry idempotency keys already taken. PostgreSQL only.
   */
  public void insertAll(Session session, List<NewCommunication> rows, long[] ids, long[] taskIds) {
    int n = rows.size();
    Long[] id = new Long[n];
    Long[] user = new Long[n];
    String[] channel = new String[n];
    String[] type = new String[n];
    String[] status = new String[n];
    String[] subject = new String[n];
    String[] message = new String[n];
    String[] key = new String[n];
    String[] created = new String[n];
    Long[] task = new Long[n];
    for (int k = 0; k < n; k++) {
      NewCommunication c = rows.get(k);
      id[k] = ids[k];
      user[k] = c.userId();
      channel[k] = c.channel().label();
      type[k] = c.messageType();
      status[k] = c.status().label();
      subject[k] = c.subject();
      message[k] = c.message();
      key[k] = c.idempotencyKey();
      created[k] = c.createdAt().toString();
      task[k] = taskIds[k];
    }
    int inserted = session.update("INSERT INTO communication_metrics (id, user_id, channel, message_type, status,"
        + " subject, message, idempotency_key, created_at, task_id) SELECT v.id, v.user_id, v.channel, v.type,"
        + " v.status, v.subject, v.message, v.key, CAST(v.created AS timestamptz), v.task FROM unnest("
        + "CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS varchar[]), CAST(? AS varchar[]), CAST(? AS varchar[]),"
        + " CAST(? AS varchar[]), CAST(? AS varchar[]), CAST(? AS varchar[]), CAST(? AS text[]), CAST(? AS bigint[]))"
        + " AS v(id, user_id, channel, type, status, subject, message, key, created, task)",
        id, user, channel, type, status, subject, message, key, created, task);
    if (inserted != n) {
      throw new CommsException("the insert of a batch of " + n + " communications inserted " + inserted + " rows");
    }
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

  /** A communication a send task is about to send: its row, its recipient and the recipient's rules. */
  public record Sendable(long id, long userId, Channel channel, CommunicationStatus status, String subject,
      String message, LocalDate countedDay, String email, String phone, ZoneId zone, PreferenceRules rules) {}

  /** A reservation to write: {@code sending} counted on a day, or {@code suppressed} with the reason. */
  public record Reserved(long id, CommunicationStatus status, LocalDate countedDay, String error) {}

  /** An outcome to write: {@code sent} with the provider's id and time, or {@code failed} with the reason. */
  public record Delivered(long id, CommunicationStatus status, String provider, String providerMessageId,
      Instant sentAt, String error) {}

  /** What {@link #failIfPending} changed: whose communication, and the day it was counted on (or null). */
  public record Released(long userId, LocalDate countedDay) {}

  /**
   * Locks these communications ({@code FOR UPDATE}, in id order) and reads each with its
   * recipient's address, time zone and preferences (the defaults when the user has none); ids with
   * no row are absent from the result.
   */
  public Map<Long, Sendable> lockForSend(Session session, Collection<Long> ids) {
    Map<Long, Sendable> out = new HashMap<>();
    if (ids.isEmpty()) {
      return out;
    }
    session.query("SELECT c.id, c.user_id, c.channel, c.status, c.subject, c.message, c.counted_day, u.email,"
        + " u.phone, u.timezone, p.user_id AS prefs, p.sms_enabled, p.email_enabled, p.quiet_hours_start,"
        + " p.quiet_hours_end, p.daily_limit FROM communication_metrics c JOIN users u ON u.id = c.user_id"
        + " LEFT JOIN communication_preferences p ON p.user_id = c.user_id WHERE c.id = ANY (?) ORDER BY c.id"
        + " FOR UPDATE OF c", rs -> {
          rs.getLong("prefs");
          PreferenceRules rules = rs.wasNull() ? PreferenceRules.defaults() : new PreferenceRules(
              rs.getBoolean("sms_enabled"), rs.getBoolean("email_enabled"),
              rs.getObject("quiet_hours_start", LocalTime.class), rs.getObject("quiet_hours_end", LocalTime.class),
              rs.getInt("daily_limit"));
          Sendable c = new Sendable(rs.getLong("id"), rs.getLong("user_id"), Channel.of(rs.getString("channel")),
              CommunicationStatus.of(rs.getString("status")), rs.getString("subject"), rs.getString("message"),
              rs.getObject("counted_day", LocalDate.class), rs.getString("email"), rs.getString("phone"),
              ZoneId.of(rs.getString("timezone")), rules);
          out.put(c.id(), c);
          return null;
        }, (Object) ids.toArray(Long[]::new));
    return out;
  }

  /** Writes phase 1's reservations: status, the day counted on, and the error (null unless suppressed). */
  public void markReserved(Session session, List<Reserved> rows) {
    if (rows.isEmpty()) {
      return;
    }
    if (session.dialect() == Dialect.POSTGRESQL) {
      session.update("UPDATE communication_metrics c SET status = v.status, counted_day = v.day, error = v.error"
          + " FROM unnest(CAST(? AS bigint[]), CAST(? AS varchar[]), CAST(? AS date[]), CAST(? AS varchar[]))"
          + " AS v(id, status, day, error) WHERE c.id = v.id",
          rows.stream().map(Reserved::id).toArray(Long[]::new),
          rows.stream().map(r -> r.status().label()).toArray(String[]::new),
          rows.stream().map(r -> r.countedDay() == null ? null : r.countedDay().toString()).toArray(String[]::new),
          rows.stream().map(r -> clip(r.error())).toArray(String[]::new));
      return;
    }
    batch(session, "UPDATE communication_metrics SET status = ?, counted_day = ?, error = ? WHERE id = ?", rows,
        (ps, r) -> {
          ps.setString(1, r.status().label());
          ps.setObject(2, r.countedDay());
          ps.setString(3, clip(r.error()));
          ps.setLong(4, r.id());
        });
  }

  /**
   * Writes phase 3's outcomes to communications still {@code sending}; returns the ids it changed.
   * A sent one keeps the day it was counted on; a failed one no longer counts.
   */
  public Set<Long> markDelivered(Session session, List<Delivered> rows) {
    if (rows.isEmpty()) {
      return Set.of();
    }
    if (session.dialect() == Dialect.POSTGRESQL) {
      return new HashSet<>(session.query("UPDATE communication_metrics c SET status = v.status, provider = v.provider,"
          + " provider_message_id = v.pmid, sent_at = v.sent_at, error = v.error,"
          + " counted_day = CASE WHEN v.status = 'sent' THEN c.counted_day END"
          + " FROM unnest(CAST(? AS bigint[]), CAST(? AS varchar[]), CAST(? AS varchar[]), CAST(? AS varchar[]),"
          + " CAST(? AS timestamptz[]), CAST(? AS varchar[])) AS v(id, status, provider, pmid, sent_at, error)"
          + " WHERE c.id = v.id AND c.status = 'sending' RETURNING c.id", rs -> rs.getLong(1),
          rows.stream().map(Delivered::id).toArray(Long[]::new),
          rows.stream().map(r -> r.status().label()).toArray(String[]::new),
          rows.stream().map(Delivered::provider).toArray(String[]::new),
          rows.stream().map(Delivered::providerMessageId).toArray(String[]::new),
          rows.stream().map(r -> r.sentAt() == null ? null : r.sentAt().toString()).toArray(String[]::new),
          rows.stream().map(r -> clip(r.error())).toArray(String[]::new)));
    }
    int[] counts = batch(session, "UPDATE communication_metrics SET status = ?, provider = ?, provider_message_id = ?,"
        + " sent_at = ?, error = ?, counted_day = CASE WHEN ? = 'sent' THEN counted_day END WHERE id = ?"
        + " AND status = 'sending'", rows, (ps, r) -> {
          ps.setString(1, r.status().label());
          ps.setString(2, r.provider());
          ps.setString(3, r.providerMessageId());
          ps.setObject(4, ts(r.sentAt()));
          ps.setString(5, clip(r.error()));
          ps.setString(6, r.status().label());
          ps.setLong(7, r.id());
        });
    Set<Long> changed = new HashSet<>();
    for (int k = 0; k < counts.length; k++) {
      if (counts[k] > 0) {
        changed.add(rows.get(k).id());
      }
    }
    return changed;
  }

  /**
   * Marks a communication still {@code queued} or {@code sending} failed with {@code error};
   * returns what it released (whose, and the day it was counted on), or empty when it had an
   * outcome already.
   */
  public Optional<Released> failIfPending(Session session, long id, String error) {
    Optional<Released> pending = session.queryOne("SELECT user_id, counted_day FROM communication_metrics"
        + " WHERE id = ? AND status IN ('queued', 'sending') FOR UPDATE",
        rs -> new Released(rs.getLong(1), rs.getObject(2, LocalDate.class)), id);
    pending.ifPresent(p -> session.update("UPDATE communication_metrics SET status = 'failed', error = ?,"
        + " counted_day = NULL WHERE id = ?", clip(error), id));
    return pending;
  }

  /**
   * How many of each user's communications were sent at or after that user's instant: counted once
   * per user, when the daily limit's counter row of the user is created. PostgreSQL: one statement
   * for all of them.
   */
  public Map<Long, Long> sentSince(Session session, Map<Long, Instant> since) {
    Map<Long, Long> out = new HashMap<>();
    if (since.isEmpty()) {
      return out;
    }
    String count = "SELECT COUNT(*) FROM communication_metrics c WHERE c.user_id = %s AND c.status = 'sent'"
        + " AND c.sent_at >= %s";
    if (session.dialect() == Dialect.POSTGRESQL) {
      List<Map.Entry<Long, Instant>> users = new ArrayList<>(since.entrySet());
      session.query("SELECT v.user_id, (" + count.formatted("v.user_id", "v.since") + ") FROM unnest(CAST(? AS"
          + " bigint[]), CAST(? AS timestamptz[])) AS v(user_id, since)", rs -> out.put(rs.getLong(1), rs.getLong(2)),
          users.stream().map(Map.Entry::getKey).toArray(Long[]::new),
          users.stream().map(e -> e.getValue().toString()).toArray(String[]::new));
      return out;
    }
    since.forEach((user, at) -> out.put(user, session.queryOne(count.formatted("?", "?"), rs -> rs.getLong(1), user,
        ts(at)).orElse(0L)));
    return out;
  }

  /** The error text as recorded: at most {@value #MAX_ERROR} characters. */
  static String clip(String error) {
    return error == null || error.length() <= MAX_ERROR ? error : error.substring(0, MAX_ERROR);
  }

  /** Binds one row of a JDBC batch. */
  @FunctionalInterface
  interface Binder<T> {
    void bind(PreparedStatement ps, T row) throws SQLException;
  }

  /** Runs {@code sql} once per row in one JDBC batch; returns the update counts. */
  static <T> int[] batch(Session session, String sql, List<T> rows, Binder<T> binder) {
    try (PreparedStatement ps = session.connection().prepareStatement(sql)) {
      for (T row : rows) {
        binder.bind(ps, row);
        ps.addBatch();
      }
      return ps.executeBatch();
    } catch (SQLException e) {
      throw new CommsException("a batch of " + rows.size() + " statements failed in transaction '" + session.name()
          + "' (SQLState " + e.getSQLState() + "): " + e.getMessage(), e);
    }
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
