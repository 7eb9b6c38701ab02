package io.mingus.comms.internal;

import io.mingus.comms.Channel;
import io.mingus.comms.Communication;
import io.mingus.comms.CommunicationStatus;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** JDBC conversions shared by the stores: instants travel as UTC {@link OffsetDateTime}s. */
final class Rows {
  static final String COMMUNICATION_COLUMNS = "id, user_id, channel, message_type, status, provider,"
      + " provider_message_id, error, idempotency_key, created_at, sent_at, subject, message, task_id";

  private Rows() {}

  /** The JDBC value of an instant (pgjdbc does not bind {@link Instant} itself). */
  static OffsetDateTime ts(Instant instant) {
    return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
  }

  static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  static Communication communication(ResultSet rs) throws SQLException {
    long taskId = rs.getLong("task_id");
    Long task = rs.wasNull() ? null : taskId;
    return new Communication(rs.getLong("id"), rs.getLong("user_id"), Channel.of(rs.getString("channel")),
        rs.getString("message_type"), CommunicationStatus.of(rs.getString("status")), rs.getString("provider"),
        rs.getString("provider_message_id"), rs.getString("error"), rs.getString("idempotency_key"),
        instant(rs, "created_at"), instant(rs, "sent_at"), rs.getString("subject"), rs.getString("message"), task);
  }
}
