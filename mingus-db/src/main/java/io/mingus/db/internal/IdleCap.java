package io.mingus.db.internal;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps at most {@code pool_size} connections of one pool idle, as SQLAlchemy's {@code QueuePool}
 * does with its overflow: a connection returned while {@code pool_size} others are idle is closed.
 * Hikari has no such bound ({@code minimumIdle} is a floor, {@code idleTimeout} retires idle
 * connections only after 10 s or more, at its 30 s housekeeping), nor a way to evict one idle
 * connection: so once a connection is back and more than {@code pool_size} are idle, a virtual
 * thread takes the surplus out of the pool and evicts it, while no caller waits for a connection.
 * One trim at a time per pool. Thread-safe.
 */
final class IdleCap {
  private static final Logger LOG = LoggerFactory.getLogger(IdleCap.class);

  private final HikariDataSource hikari;
  private final int keep;
  private final Gate gate;
  private final AtomicBoolean trimming = new AtomicBoolean();

  IdleCap(HikariDataSource hikari, int keep, Gate gate) {
    this.hikari = hikari;
    this.keep = keep;
    this.gate = gate;
  }

  /** Called after a connection of the pool came back; returns at once. */
  void afterReturn() {
    if (surplus() > 0 && trimming.compareAndSet(false, true)) {
      Thread.ofVirtual().name(hikari.getPoolName() + "-idle-cap").start(this::trim);
    }
  }

  /** Idle connections above {@code pool_size}; none while a caller waits for one. */
  private int surplus() {
    if (hikari.isClosed()) {
      return 0;
    }
    HikariPoolMXBean mx = hikari.getHikariPoolMXBean();
    if (mx == null || gate.waiting() > 0 || mx.getThreadsAwaitingConnection() > 0) {
      return 0;
    }
    return mx.getIdleConnections() - keep;
  }

  private void trim() {
    try {
      while (surplus() > 0) {
        // An idle one, since more than pool_size are idle; evicting a connection its caller has
        // not closed closes it at once.
        Connection c = hikari.getConnection();
        hikari.evictConnection(c);
      }
    } catch (SQLException | RuntimeException e) {
      // The pool closed or the database went away: nothing to keep idle then.
      LOG.debug("could not trim the idle connections of pool {}", hikari.getPoolName(), e);
    } finally {
      trimming.set(false);
    }
    if (surplus() > 0) {
      afterReturn();
    }
  }
}
