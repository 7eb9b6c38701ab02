package io.mingus.db.internal;

import com.zaxxer.hikari.util.DriverDataSource;
import io.mingus.db.DatabaseErrors;
import io.mingus.db.Dialect;
import io.mingus.db.ErrorKind;
import io.mingus.db.PoolConfig;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Properties;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Opens the physical connections of one pool, for Hikari: the driver with the pool's URL,
 * credentials and driver settings, plus the pool's {@link Reachability}. A connection that cannot
 * be opened marks the database unreachable; while it is, a new connection waits for the prober to
 * find the database again (at most {@code maxWait}, then it tries anyway) instead of failing at
 * once, which would put Hikari's adder into its back-off. Thread-safe.
 */
final class Connector implements DataSource {
  private final DataSource driver;
  private final Reachability reachability;
  private final Duration maxWait;

  Connector(DataSource driver, Reachability reachability, Duration maxWait) {
    this.driver = driver;
    this.reachability = reachability;
    this.maxWait = maxWait;
  }

  /** The driver for the pool's connections: what Hikari would build from the pool's JDBC URL. */
  static DataSource driver(PoolConfig pc, boolean pgbouncer) {
    return new DriverDataSource(pc.jdbcUrl(), null, properties(pc, false, pgbouncer), pc.username(), pc.password());
  }

  /**
   * The driver for probes: the same database, but every step bounded by a few seconds so that a
   * probe into a black hole ends, and tagged so an operator can tell probes from pooled sessions.
   */
  static DataSource probeDriver(PoolConfig pc, boolean pgbouncer) {
    return new DriverDataSource(pc.jdbcUrl(), null, properties(pc, true, pgbouncer), pc.username(), pc.password());
  }

  private static Properties properties(PoolConfig pc, boolean probe, boolean pgbouncer) {
    Properties p = new Properties();
    if (pc.dialect() == Dialect.POSTGRESQL) {
      p.setProperty("ApplicationName", "mingus-" + pc.name().label() + (probe ? "-probe" : ""));
      p.setProperty("reWriteBatchedInserts", "true");
      p.setProperty("tcpKeepAlive", "true");
      // Keep row values (the "Detail: Key (email)=(...)" of a constraint violation) out of
      // exception messages and so out of logs.
      p.setProperty("logServerErrorDetail", "false");
      if (pgbouncer) {
        // PgBouncer 1.18 in transaction pooling passes a named server-side statement prepared in
        // one transaction to whichever client gets that server connection next: unnamed only.
        p.setProperty("prepareThreshold", "0");
      }
      if (probe) {
        p.setProperty("connectTimeout", "5");
        p.setProperty("loginTimeout", "5");
        p.setProperty("socketTimeout", "5");
      }
    }
    return p;
  }

  @Override
  public Connection getConnection() throws SQLException {
    if (!reachability.reachable()) {
      try {
        reachability.awaitReachable(maxWait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SQLTransientConnectionException("interrupted while waiting for the database to be reachable",
            "08001", e);
      }
      if (reachability.closed()) {
        throw new SQLTransientConnectionException("the pool is closing", "08003");
      }
    }
    try {
      return driver.getConnection();
    } catch (SQLException e) {
      if (DatabaseErrors.classify(e).kind() == ErrorKind.CONNECTION) {
        reachability.lost(e);
      }
      throw e;
    }
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("the pool's credentials are set once, in its configuration");
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return driver.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    driver.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    driver.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return driver.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return driver.getParentLogger();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    throw new SQLException("not a wrapper of " + iface.getName());
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return iface.isInstance(this);
  }
}
