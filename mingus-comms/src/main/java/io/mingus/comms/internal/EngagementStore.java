package io.mingus.comms.internal;

import static io.mingus.comms.internal.Rows.ts;

import io.mingus.comms.Channel;
import io.mingus.db.Dialect;
import io.mingus.db.Session;
import java.time.Instant;

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

  /** Counts {@code count} communications sent to {@code userId} on {@code channel} at {@code at}. */
  public static void record(Session session, long userId, Channel channel, int count, Instant at) {
    long sms = channel == Channel.SMS ? count : 0;
    long email = channel == Channel.EMAIL ? count : 0;
    session.update(session.dialect() == Dialect.POSTGRESQL ? POSTGRES : H2, userId, (long) count, sms, email, ts(at));
  }

  /** Creates a user's zero counters. */
  public static void create(Session session, long userId) {
    session.update("INSERT INTO user_engagement_metrics (user_id) VALUES (?)", userId);
  }
}
