package io.mingus.db.internal;

import io.mingus.db.BreakerState;
import io.mingus.db.DatabaseConfig;
import io.mingus.db.DatabaseUnavailableException;
import io.mingus.db.PoolName;
import io.mingus.db.ReplicationLag;
import io.mingus.db.TransactionOptions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The analytics pool's read replica ({@code ANALYTICS_DATABASE_URL} naming another database than
 * {@code DATABASE_URL}). Before a transaction on the analytics pool begins, {@link #route} asks
 * whether the replica is usable: reachable (breaker not open, reachability not lost) and at most
 * {@code ANALYTICS_MAX_LAG_SECONDS} behind, measured on one of its connections at most once a
 * second. When it is not, a read-only transaction that allows it ({@link
 * TransactionOptions#primaryFallback()}) runs on the main pool instead; any other fails at once
 * with a {@link DatabaseUnavailableException} that says why. Thread-safe.
 */
public final class Replica {
  private static final Logger LOG = LoggerFactory.getLogger(Replica.class);
  private static final long FRESH_NANOS = Duration.ofSeconds(1).toNanos();
  /** Seconds behind: zero when everything received is replayed (an idle primary sends nothing). */
  static final String LAG_SQL = "SELECT CASE WHEN NOT pg_is_in_recovery()"
      + " OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
      + " ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END,"
      + " pg_last_wal_replay_lsn()::text";

  private record Sample(String problem, long atNanos) {}

  private final Pools pools;
  private final Duration maxLag;
  private volatile Sample last;

  private Replica(Pools pools, Duration maxLag) {
    this.pools = pools;
    this.maxLag = maxLag;
  }

  /** The replica of {@code config}'s analytics pool, or {@code null} when it reads the primary. */
  public static Replica of(Pools pools, DatabaseConfig config) {
    return config.analyticsReplica() && pools.role().has(PoolName.ANALYTICS) && pools.role().has(PoolName.MAIN)
        ? new Replica(pools, config.analyticsMaxLag()) : null;
  }

  /** The options a transaction runs with: as given, on the main pool instead, or refused. */
  TransactionOptions route(TransactionOptions options) {
    if (options.pool() != PoolName.ANALYTICS) {
      return options;
    }
    String problem = problem();
    if (problem == null) {
      return options;
    }
    if (options.primaryFallback() && options.readOnly()) {
      LOG.debug("transaction '{}' reads from the primary: the analytics replica {}", options.name(), problem);
      return options.withPool(PoolName.MAIN);
    }
    throw new DatabaseUnavailableException(PoolName.ANALYTICS, "transaction '" + options.name() + "' cannot read"
        + " from the analytics replica: it " + problem + ". The transaction does not fall back to the primary:"
        + " allow that for read-only transactions with TransactionOptions.withPrimaryFallback(true), or retry"
        + " when the replica has caught up", null);
  }

  private String problem() {
    if (pools.breakerState(PoolName.ANALYTICS) == BreakerState.OPEN || !pools.reachable(PoolName.ANALYTICS)) {
      return "is unreachable";
    }
    Sample s = last;
    if (s == null || System.nanoTime() - s.atNanos() > FRESH_NANOS) {
      s = new Sample(sample(), System.nanoTime());
      last = s;
    }
    return s.problem();
  }

  private String sample() {
    try (Connection c = pools.dataSource(PoolName.ANALYTICS).getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(LAG_SQL)) {
      rs.next();
      double seconds = rs.getDouble(1);
      return seconds <= maxLag.toMillis() / 1000.0 ? null : String.format(java.util.Locale.ROOT,
          "is %.1f s behind the primary (ANALYTICS_MAX_LAG_SECONDS=%s)", seconds, maxLag.toMillis() / 1000.0);
    } catch (SQLException e) {
      return "is unreachable (" + Redact.url(e.getMessage()) + ")";
    } finally {
      pools.returnedDirectly(PoolName.ANALYTICS);
    }
  }

  /**
   * Measures the lag on {@code replica} (a connection of the analytics pool) and, for the bytes,
   * on a connection of the main pool; the bytes are -1 when the primary cannot be asked.
   */
  ReplicationLag measure(Connection replica) throws SQLException {
    double seconds;
    String replayed;
    try (Statement st = replica.createStatement(); ResultSet rs = st.executeQuery(LAG_SQL)) {
      rs.next();
      seconds = rs.getDouble(1);
      replayed = rs.getString(2);
    }
    long bytes = -1;
    if (replayed != null) {
      try (Connection primary = pools.dataSource(PoolName.MAIN).getConnection();
          var ps = primary.prepareStatement("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), ?::pg_lsn)::bigint")) {
        ps.setString(1, replayed);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          bytes = Math.max(0, rs.getLong(1));
        }
      } catch (SQLException e) {
        LOG.debug("could not read the primary's WAL position for the replication lag", e);
      } finally {
        pools.returnedDirectly(PoolName.MAIN);
      }
    }
    last = new Sample(seconds <= maxLag.toMillis() / 1000.0 ? null : String.format(java.util.Locale.ROOT,
        "is %.1f s behind the primary (ANALYTICS_MAX_LAG_SECONDS=%s)", seconds, maxLag.toMillis() / 1000.0),
        System.nanoTime());
    return new ReplicationLag(bytes, Duration.ofMillis(Math.round(seconds * 1000)));
  }

  /** A transaction could not get a connection of the replica: it is unreachable until sampled again. */
  void unreachable(Throwable cause) {
    last = new Sample("is unreachable (" + Redact.url(String.valueOf(cause.getMessage())) + ")", System.nanoTime());
  }

  /** Whether {@code options} may run on the main pool when the replica fails them. */
  static boolean fallsBack(TransactionOptions options) {
    return options.pool() == PoolName.ANALYTICS && options.primaryFallback() && options.readOnly();
  }

  /** The longest lag the replica may have. */
  Duration maxLag() {
    return maxLag;
  }
}
