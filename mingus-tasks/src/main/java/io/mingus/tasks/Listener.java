package io.mingus.tasks;

import io.mingus.db.PoolConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL only: LISTENs on the schema's channel on a connection of its own, outside the pools
 * (opened with the worker pool's settings), and wakes the lane a notification names. Reconnects
 * with backoff after a failure, and wakes every lane after reconnecting, since notifications sent
 * meanwhile are lost; polling covers the gap.
 */
final class Listener implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(Listener.class);

  private final Worker worker;
  private final PoolConfig config;
  private final String channel;
  private volatile boolean stopped;
  private volatile Connection connection;
  private volatile boolean listening;
  private volatile int backendPid;

  Listener(Worker worker, PoolConfig config, String channel) {
    this.worker = worker;
    this.config = config;
    this.channel = channel;
  }

  void stop() {
    stopped = true;
    Connection c = connection;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        LOG.debug("closing the LISTEN connection of worker {} failed", worker.id(), e);
      }
    }
  }

  @Override
  public void run() {
    long backoffMillis = 100;
    boolean failing = false;
    while (!stopped) {
      try (Connection c = open()) {
        connection = c;
        if (stopped) {
          return;
        }
        if (failing) {
          LOG.info("worker {} listens on channel {} again", worker.id(), channel);
        }
        failing = false;
        backoffMillis = 100;
        try (Statement st = c.createStatement(); java.sql.ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
          backendPid = rs.next() ? rs.getInt(1) : 0;
        }
        worker.wakeAll();
        listening = true;
        PGConnection pg = c.unwrap(PGConnection.class);
        while (!stopped) {
          PGNotification[] got = pg.getNotifications(5000);
          if (got != null) {
            for (PGNotification n : got) {
              worker.wake(n.getParameter());
            }
          }
        }
      } catch (SQLException | RuntimeException e) {
        if (stopped) {
          return;
        }
        if (!failing) {
          LOG.warn("worker {} lost its LISTEN connection (channel {}): {}; polling every {} ms until it reconnects",
              worker.id(), channel, e.toString(), worker.pollInterval().toMillis());
        }
        failing = true;
        if (!worker.pause(java.time.Duration.ofMillis(backoffMillis))) {
          return;
        }
        backoffMillis = Math.min(5000, backoffMillis * 2);
      } finally {
        listening = false;
        connection = null;
      }
    }
  }

  private Connection open() throws SQLException {
    Properties p = new Properties();
    if (config.username() != null) {
      p.setProperty("user", config.username());
    }
    if (config.password() != null) {
      p.setProperty("password", config.password());
    }
    p.setProperty("ApplicationName", "mingus-tasks-listen");
    p.setProperty("tcpKeepAlive", "true");
    p.setProperty("connectTimeout", "10");
    Connection c = DriverManager.getConnection(config.jdbcUrl(), p);
    try (Statement st = c.createStatement()) {
      c.setAutoCommit(true);
      st.execute("LISTEN \"" + channel.replace("\"", "\"\"") + "\"");
    } catch (SQLException | RuntimeException e) {
      try {
        c.close();
      } catch (SQLException closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
    return c;
  }

  boolean listening() {
    return listening;
  }

  /** The server process of the LISTEN connection (tests cut it with pg_terminate_backend). */
  int backendPid() {
    return backendPid;
  }
}
