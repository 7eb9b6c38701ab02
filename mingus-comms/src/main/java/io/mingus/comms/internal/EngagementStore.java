package io.mingus.comms.internal;

import static io.mingus.comms.internal.Rows.ts;

import io.mingus.comms.Channel;
import io.mingus.comms.CommsException;
import io.mingus.db.Dialect;
import io.mingus.db.Session;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Changes user_engagement_metrics atomically in SQL: one statement adds to the counters and
 * creates the row when it is missing. Never a read-modify-write through the ORM, which loses
 * updates when tasks run concurrently (DESIGN.md, "Concurrent counters"). Stateless, thread-safe.
 */
public final class EngagementStore {
  private static final String POSTGRES = "INSERT INTO user_engagement_metrics"
      + " (user_id, total_communications, sms_count, email_count, last_activity) VALUES (?, ?, ?, ?, ?)"
      + " ON CONFLICT (user_id) DO UPDATE SET"
      + " total_communications = user_engagement_metrics.total_communications + EXCLUDED.total_communications,"
      + " sms_count = user_engagement_metrics.sms_count + EXCLUDED.sms_count,"
      + " email_count = user_engagement_metrics.email_count + EXCLUDED.email_count,"
      + " last_activity = GREATEST(COALESCE(user_engagement_metrics.last_activity, EXCLUDED.last_activity),"
      + " EXCLUDED.last_activity)";
  // GREATEST is NULL on H2 when an argument is NULL, hence the COALESCE in both forms.
  // H2 has no ON CONFLICT ... DO UPDATE; its standard MERGE does the same in one statement.
  private static final String H2 = "MERGE INTO user_engagement_metrics t USING (VALUES (CAST(? AS BIGINT),"
      + " CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TIMESTAMP WITH TIME ZONE)))"
      + " AS v(user_id, total, sms, email, at) ON t.user_id = v.user_id"
      + " WHEN MATCHED THEN UPDATE SET total_communications = t.total_communications + v.total,"
      + " sms_count = t.sms_count + v.sms, email_count = t.email_count + v.email,"
      + " last_activity = GREATEST(COALESCE(t.last_activity, v.at), v.at)"
      + " WHEN NOT MATCHED THEN INSERT (user_id, total_communications, sms_count, email_count, last_activity)"
      + " VALUES (v.user_id, v.total, v.sms, v.email, v.at)";

  private EngagementStore() {}

  private static final int H2_ATTEMPTS = 20;

  /** Counts {@code count} communications sent to {@code userId} on {@code channel} at {@code at}. */
  public static void record(Session session, long userId, Channel channel, int count, Instant at) {
    long sms = channel == Channel.SMS ? count : 0;
    long email = channel == Channel.EMAIL ? count : 0;
    if (session.dialect() == Dialect.POSTGRESQL) {
      session.update(POSTGRES, userId, (long) count, sms, email, ts(at));
      return;
    }
    // H2's MERGE is not atomic against a concurrent MERGE that inserts the same missing row: the
    // loser fails on the primary key. Under a savepoint of its own (plain JDBC, so no ORM state is
    // involved) the statement is undone and run again, and then finds the row and updates it.
    Connection conn = session.connection();
    for (int attempt = 1; ; attempt++) {
      try {
        Savepoint sp = conn.setSavepoint();
        try (PreparedStatement ps = conn.prepareStatement(H2)) {
          ps.setLong(1, userId);
          ps.setLong(2, count);
          ps.setLong(3, sms);
          ps.setLong(4, email);
          ps.setObject(5, ts(at));
          ps.executeUpdate();
          conn.releaseSavepoint(sp);
          return;
        } catch (SQLException e) {
          conn.rollback(sp);
          if (!"23505".equals(e.getSQLState()) || attempt >= H2_ATTEMPTS) {
            throw e;
          }
        }
      } catch (SQLException e) {
        throw new CommsException("could not count a " + channel.label() + " communication in the engagement of user "
            + userId + ": " + e.getMessage(), e);
      }
    }
  }

  /** What one user's sends of a batch add to the user's counters. */
  public record Sends(long userId, int sms, int email, Instant at) {}

  /**
   * Adds many users' sends: on PostgreSQL in one statement, its rows inserted (and so locked) in
   * user-id order, so that two batches sharing users cannot deadlock; on H2 one user at a time.
   */
  public static void recordAll(Session session, List<Sends> sends) {
    if (sends.isEmpty()) {
      return;
    }
    List<Sends> sorted = new ArrayList<>(sends);
    sorted.sort(Comparator.comparingLong(Sends::userId));
    if (session.dialect() != Dialect.POSTGRESQL) {
      for (Sends s : sorted) {
        if (s.sms() > 0) {
          record(session, s.userId(), Channel.SMS, s.sms(), s.at());
        }
        if (s.email() > 0) {
          record(session, s.userId(), Channel.EMAIL, s.email(), s.at());
        }
      }
      return;
    }
    session.update("INSERT INTO user_engagement_metrics AS e (user_id, total_communications, sms_count, email_count,"
        + " last_activity) SELECT v.user_id, v.sms + v.email, v.sms, v.email, v.at FROM unnest(CAST(? AS bigint[]),"
        + " CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS timestamptz[])) AS v(user_id, sms, email, at)"
        + " ORDER BY v.user_id ON CONFLICT (user_id) DO UPDATE SET"
        + " total_communications = e.total_communications + EXCLUDED.total_communications,"
        + " sms_count = e.sms_count + EXCLUDED.sms_count, email_count = e.email_count + EXCLUDED.email_count,"
        + " last_activity = GREATEST(e.last_activity, EXCLUDED.last_activity)",
        sorted.stream().map(Sends::userId).toArray(Long[]::new),
        sorted.stream().map(s -> (long) s.sms()).toArray(Long[]::new),
        sorted.stream().map(s -> (long) s.email()).toArray(Long[]::new),
        sorted.stream().map(s -> s.at().toString()).toArray(String[]::new));
  }

  /** Creates a user's zero counters. */
  public static void create(Session session, long userId) {
    session.update("INSERT INTO user_engagement_metrics (user_id) VALUES (?)", userId);
  }
}
