package io.mingus.comms.internal;

import static io.mingus.comms.internal.Rows.ts;

import io.mingus.db.Dialect;
import io.mingus.db.Session;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The send task's statements on {@code communication_preferences} (the API changes preferences
 * through {@link PreferencesEntity}): when each user was last sent an SMS and an email. Never moves
 * a time back, so batches recorded out of order keep the latest. Stateless, thread-safe.
 */
public final class PreferencesStore {

  /** The latest SMS and email sent to a user in a batch (null when none). */
  public record LastSent(long userId, Instant sms, Instant email) {}

  private PreferencesStore() {}

  /** Records the last sends of many users; rows are changed in user-id order. */
  public static void recordLastSent(Session session, List<LastSent> sends) {
    if (sends.isEmpty()) {
      return;
    }
    List<LastSent> sorted = new ArrayList<>(sends);
    sorted.sort(Comparator.comparingLong(LastSent::userId));
    if (session.dialect() == Dialect.POSTGRESQL) {
      // GREATEST ignores NULLs on PostgreSQL: a channel with no send in the batch keeps its time.
      session.update("UPDATE communication_preferences p SET last_sms_sent = GREATEST(p.last_sms_sent, v.sms),"
          + " last_email_sent = GREATEST(p.last_email_sent, v.email) FROM unnest(CAST(? AS bigint[]),"
          + " CAST(? AS timestamptz[]), CAST(? AS timestamptz[])) AS v(user_id, sms, email) WHERE p.user_id = v.user_id",
          sorted.stream().map(LastSent::userId).toArray(Long[]::new),
          sorted.stream().map(s -> s.sms() == null ? null : s.sms().toString()).toArray(String[]::new),
          sorted.stream().map(s -> s.email() == null ? null : s.email().toString()).toArray(String[]::new));
      return;
    }
    // H2's GREATEST is NULL when an argument is: one statement per channel sent, only forward.
    List<LastSent> sms = sorted.stream().filter(s -> s.sms() != null).toList();
    List<LastSent> email = sorted.stream().filter(s -> s.email() != null).toList();
    for (String column : new String[] {"last_sms_sent", "last_email_sent"}) {
      boolean isSms = column.equals("last_sms_sent");
      List<LastSent> rows = isSms ? sms : email;
      if (!rows.isEmpty()) {
        CommunicationStore.batch(session, "UPDATE communication_preferences SET " + column + " = ? WHERE user_id = ?"
            + " AND (" + column + " IS NULL OR " + column + " < ?)", rows, (ps, r) -> {
              Instant at = isSms ? r.sms() : r.email();
              ps.setObject(1, ts(at));
              ps.setLong(2, r.userId());
              ps.setObject(3, ts(at));
            });
      }
    }
  }
}
