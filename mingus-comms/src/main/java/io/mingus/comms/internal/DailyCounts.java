package io.mingus.comms.internal;

import io.mingus.comms.CommsException;
import io.mingus.db.Dialect;
import io.mingus.db.Session;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The daily limit's counter, {@code daily_send_counts}: one row per user holding the user's current
 * local day and the sends counted on it (sent, or being sent). The one owner of its statements.
 *
 * <p>Reserving is exact under any concurrency without counting history: a reservation moves the
 * row to its day and adds to it only while the sum stays within the limit, in one conditional
 * UPDATE that runs with the row locked (PostgreSQL re-checks its WHERE on the row's newest version
 * after waiting for a concurrent one). On PostgreSQL the users of a batch whose whole wish fits go
 * in one statement; the others (over the limit, or with no row yet) are locked in user-id order,
 * granted what is left, and written. A user's row is created at the first reservation, seeded with
 * the sends of the current day recorded before the counter existed (one count per user, ever, in
 * one statement for the users of a batch), so an upgrade does not reset the day's count. The row's day never moves back: a reservation for an
 * older day (a worker whose clock is behind) counts on the row's newer day. Stateless, thread-safe.
 */
public final class DailyCounts {

  /**
   * What one user's sends of a batch want.
   *
   * @param userId the user
   * @param day the user's current local day
   * @param dayStart the instant the day began (for the seed of a new row)
   * @param count how many sends
   * @param limit the user's daily limit
   */
  public record Want(long userId, LocalDate day, Instant dayStart, int count, int limit) {}

  /** What a user was granted: how many of the sends wanted, and the day's count after. */
  public record Grant(int granted, int sendsAfter) {}

  /** Sends no longer counted: failed, suppressed on a retry, or moved to another day. */
  public record Release(long userId, LocalDate day, int count) {}

  private record Row(LocalDate day, int sends) {}

  private DailyCounts() {}

  /**
   * Grants each user what fits within the limit of their current day; the rows stay locked until
   * the transaction ends. {@code seed} counts users' sends since their instants (for new rows).
   */
  public static Map<Long, Grant> reserve(Session s, List<Want> wants,
      Function<Map<Long, Instant>, Map<Long, Long>> seed) {
    List<Want> sorted = new ArrayList<>(wants);
    sorted.sort(Comparator.comparingLong(Want::userId));
    Map<Long, Grant> out = new HashMap<>();
    if (sorted.isEmpty()) {
      return out;
    }
    if (sorted.stream().map(Want::userId).distinct().count() < sorted.size()) {
      throw new IllegalArgumentException("one want per user: the wants of a user's sends are added up by the caller");
    }
    List<Want> rest = sorted;
    if (s.dialect() == Dialect.POSTGRESQL) {
      Map<Long, Integer> fit = new HashMap<>();
      s.query("UPDATE daily_send_counts d SET local_day = GREATEST(d.local_day, v.local_day),"
          + " sends = CASE WHEN d.local_day >= v.local_day THEN d.sends ELSE 0 END + v.n"
          + " FROM unnest(CAST(? AS bigint[]), CAST(? AS date[]), CAST(? AS int[]), CAST(? AS int[]))"
          + " AS v(user_id, local_day, n, lim) WHERE d.user_id = v.user_id"
          + " AND CASE WHEN d.local_day >= v.local_day THEN d.sends ELSE 0 END + v.n <= v.lim"
          + " RETURNING d.user_id, d.sends",
          rs -> fit.put(rs.getLong(1), rs.getInt(2)), sorted.stream().map(Want::userId).toArray(Long[]::new),
          sorted.stream().map(w -> w.day().toString()).toArray(String[]::new),
          sorted.stream().map(Want::count).toArray(Integer[]::new),
          sorted.stream().map(Want::limit).toArray(Integer[]::new));
      rest = new ArrayList<>();
      for (Want w : sorted) {
        Integer after = fit.get(w.userId());
        if (after != null) {
          out.put(w.userId(), new Grant(w.count(), after));
        } else {
          rest.add(w);
        }
      }
    }
    if (!rest.isEmpty()) {
      out.putAll(reserveLocked(s, rest, seed));
    }
    return out;
  }

  /** Locks the rows (creating missing ones), grants what is left of each limit, writes the rows. */
  private static Map<Long, Grant> reserveLocked(Session s, List<Want> wants,
      Function<Map<Long, Instant>, Map<Long, Long>> seed) {
    Map<Long, Row> rows = lock(s, wants);
    if (rows.size() < wants.size()) {
      Map<Long, Instant> missing = new java.util.LinkedHashMap<>();
      for (Want w : wants) {
        if (!rows.containsKey(w.userId())) {
          missing.put(w.userId(), w.dayStart());
        }
      }
      create(s, wants, seed.apply(missing));
      rows = lock(s, wants);
    }
    Map<Long, Grant> out = new HashMap<>();
    List<Object[]> writes = new ArrayList<>();
    for (Want w : wants) {
      Row row = rows.get(w.userId());
      boolean sameOrNewer = !row.day().isBefore(w.day());
      int current = sameOrNewer ? row.sends() : 0;
      int granted = Math.max(0, Math.min(w.count(), w.limit() - current));
      LocalDate day = sameOrNewer ? row.day() : w.day();
      out.put(w.userId(), new Grant(granted, current + granted));
      if (granted > 0 || !day.equals(row.day())) {
        writes.add(new Object[] {day, current + granted, w.userId()});
      }
    }
    if (!writes.isEmpty()) {
      CommunicationStore.batch(s, "UPDATE daily_send_counts SET local_day = ?, sends = ? WHERE user_id = ?", writes,
          (ps, r) -> {
            ps.setObject(1, r[0]);
            ps.setInt(2, (Integer) r[1]);
            ps.setLong(3, (Long) r[2]);
          });
    }
    return out;
  }

  private static Map<Long, Row> lock(Session s, List<Want> wants) {
    Map<Long, Row> rows = new HashMap<>();
    s.query("SELECT user_id, local_day, sends FROM daily_send_counts WHERE user_id = ANY (?) ORDER BY user_id FOR UPDATE",
        rs -> rows.put(rs.getLong(1), new Row(rs.getObject(2, LocalDate.class), rs.getInt(3))),
        (Object) wants.stream().map(Want::userId).toArray(Long[]::new));
    return rows;
  }

  /**
   * Creates the rows of the users in {@code seeds} (user id to the sends counted so far today)
   * unless a concurrent transaction did: PostgreSQL's {@code ON CONFLICT DO NOTHING} waits for it,
   * in one statement for all of them; on H2 each insert runs under a savepoint and a duplicate key
   * is undone.
   */
  private static void create(Session s, List<Want> wants, Map<Long, Long> seeds) {
    List<Want> missing = wants.stream().filter(w -> seeds.containsKey(w.userId())).toList();
    if (s.dialect() == Dialect.POSTGRESQL) {
      s.update("INSERT INTO daily_send_counts (user_id, local_day, sends) SELECT * FROM unnest(CAST(? AS bigint[]),"
          + " CAST(? AS date[]), CAST(? AS int[])) ORDER BY 1 ON CONFLICT (user_id) DO NOTHING",
          missing.stream().map(Want::userId).toArray(Long[]::new),
          missing.stream().map(w -> w.day().toString()).toArray(String[]::new),
          missing.stream().map(w -> (int) Math.min(Integer.MAX_VALUE, seeds.get(w.userId()))).toArray(Integer[]::new));
      return;
    }
    Connection c = s.connection();
    for (Want w : missing) {
      try {
        Savepoint sp = c.setSavepoint();
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO daily_send_counts (user_id, local_day, sends)"
            + " VALUES (?, ?, ?)")) {
          ps.setLong(1, w.userId());
          ps.setObject(2, w.day());
          ps.setInt(3, (int) Math.min(Integer.MAX_VALUE, seeds.get(w.userId())));
          ps.executeUpdate();
          c.releaseSavepoint(sp);
        } catch (SQLException e) {
          c.rollback(sp);
          if (!"23505".equals(e.getSQLState())) {
            throw e;
          }
        }
      } catch (SQLException e) {
        throw new CommsException("could not create the daily send count of user " + w.userId() + ": " + e.getMessage(),
            e);
      }
    }
  }

  /** Stops counting these sends on their day (a row already on another day is left alone). */
  public static void release(Session s, List<Release> releases) {
    if (releases.isEmpty()) {
      return;
    }
    List<Release> sorted = new ArrayList<>(releases);
    sorted.sort(Comparator.comparingLong(Release::userId));
    CommunicationStore.batch(s, "UPDATE daily_send_counts SET sends = CASE WHEN sends > ? THEN sends - ? ELSE 0 END"
        + " WHERE user_id = ? AND local_day = ?", sorted, (ps, r) -> {
          ps.setInt(1, r.count());
          ps.setInt(2, r.count());
          ps.setLong(3, r.userId());
          ps.setObject(4, r.day());
        });
  }
}
