package io.mingus.db.internal;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps at most {@code pool_size} connections of one pool open while the pool is idle, as
 * SQLAlchemy's {@code QueuePool} does with its overflow. Hikari has no such bound ({@code
 * minimumIdle} is a floor, {@code idleTimeout} retires idle connections only after 10 s or more, at
 * its 30 s housekeeping), nor a way to evict one idle connection; so while more than {@code
 * pool_size} connections are open, a virtual thread looks every {@link #LINGER} at how many the
 * pool needed at once over that time ({@link Gate#takeHighWater}) and takes the idle ones above
 * {@code max(pool_size, needed)} out of the pool and evicts them, while no caller waits for one.
 *
 * <p>SQLAlchemy closes an overflow connection as soon as it comes back. Under a steady load that
 * keeps more than {@code pool_size} connections busy only part of the time, that opens and closes
 * connections all the time (at 16 clients over a pool of 10 + 10, hundreds a minute), each a new
 * PostgreSQL backend whose first statements are planned from cold caches: a latency spike for the
 * transaction that waits for it and CPU taken from the rest. Waiting until an overflow connection
 * has gone unused for {@link #LINGER} keeps the pool at the size the load needs and still gives
 * the connections back within seconds once the load is gone. One trimmer at a time per pool.
 * Thread-safe.
 */
final class IdleCap {
  private static final Logger LOG = LoggerFactory.getLogger(IdleCap.class);
  /** How long an overflow connection stays open unneeded before it is closed. */
  static final Duration LINGER = Duration.ofSeconds(1);

  private final HikariDataSource hikari;
  private final int keep;
  private final Gate gate;
  private final Duration linger;
  private final AtomicBoolean trimming = new AtomicBoolean();

  IdleCap(HikariDataSource hikari, int keep, Gate gate) {
    this(hikari, keep, gate, LINGER);
  }

  IdleCap(HikariDataSource hikari, int keep, Gate gate, Duration linger) {
    this.hikari = hikari;
    this.keep = keep;
    this.gate = gate;
    this.linger = linger;
  }

  /** Called after a connection of the pool came back; returns at once. */
  void afterReturn() {
    if (open() > keep && trimming.compareAndSet(false, true)) {
      Thread.ofVirtual().name(hikari.getPoolName() + "-idle-cap").start(this::trimWhileOverflowing);
    }
  }

  private int open() {
    HikariPoolMXBean mx = hikari.isClosed() ? null : hikari.getHikariPoolMXBean();
    return mx == null ? 0 : mx.getTotalConnections();
  }

  private void trimWhileOverflowing() {
    try {
      gate.takeHighWater();
      while (open() > keep) {
        Thread.sleep(linger);
        trim(Math.max(keep, gate.takeHighWater()));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      trimming.set(false);
    }
    // a connection that came back while this trimmer was ending started none
    if (open() > keep) {
      afterReturn();
    }
  }

  /**
   * Evicts idle connections until {@code needed} are open (or as many as callers hold now, if more),
   * one at a time under a turn at the gate, so that it never takes a connection a caller was let
   * through for; stops as soon as anyone waits.
   */
  private void trim(int needed) throws InterruptedException {
    while (gate.tryEnterForUpkeep()) {
      try {
        // this trim's own turn is not the load's
        if (surplus(Math.max(needed, gate.taken() - 1)) <= 0) {
          return;
        }
        // an idle one, since more than needed are open and fewer are in use; evicting a connection
        // its caller has not closed closes it at once
        Connection c = hikari.getConnection();
        hikari.evictConnection(c);
      } catch (SQLException | RuntimeException e) {
        // the pool closed or the database went away: nothing to keep idle then
        LOG.debug("could not trim the idle connections of pool {}", hikari.getPoolName(), e);
        return;
      } finally {
        gate.leave();
      }
    }
  }

  private int surplus(int needed) {
    HikariPoolMXBean mx = hikari.isClosed() ? null : hikari.getHikariPoolMXBean();
    if (mx == null || gate.waiting() > 0 || mx.getThreadsAwaitingConnection() > 0) {
      return 0;
    }
    return Math.min(mx.getIdleConnections(), mx.getTotalConnections() - needed);
  }
}
