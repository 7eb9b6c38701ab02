package io.mingus.tasks.internal;

import io.mingus.db.Endpoint;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL only: LISTENs on the schema's channel on a connection of its own, outside the pools
 * (to {@link io.mingus.db.DatabaseConfig#directUrl()}: PostgreSQL itself, never PgBouncer), and wakes the lane a notification names. Driven by a
 * {@link Loop}: each {@link #step()} connects when there is no connection, or waits a few seconds
 * for notifications. After a failure the connection is dropped and the loop backs off
 * ({@link #FIRST_BACKOFF} doubling to {@link #MAX_BACKOFF}); after connecting it wakes every lane,
 * since notifications sent meanwhile are lost (polling covers the gap). When given a {@link
 * WorkerSession}, each new connection also carries the worker's liveness: the session's advisory
 * lock is taken and registered before the lanes are woken. Thread-safe.
 */
public final class Listener {
  private static final Logger LOG = LoggerFactory.getLogger(Listener.class);
  /** The first wait after a failure. */
  public static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
  /**
   * The longest wait after failures: short, because the worker's liveness rides on this connection
   * (other workers rescue its tasks when it stays away for more than a couple of seconds).
   */
  public static final Duration MAX_BACKOFF = Duration.ofSeconds(1);
  private static final int RECEIVE_MILLIS = 5000;

  /** Wakes this worker's lanes. */
  public interface Wakeups {
    /** Wakes the lane of {@code queue}, if this worker serves it. */
    void wake(String queue);

    /** Wakes every lane. */
    void wakeAll();
  }

  private final Endpoint config;
  private final String channel;
  private final String workerId;
  private final Wakeups wakeups;
  private final WorkerSession session;
  private volatile Connection connection;
  private volatile boolean listening;
  private volatile int backendPid;
  private volatile boolean closed;

  /**
   * Listens on {@code channel} on a connection to {@code config}; {@code session} (or {@code null})
   * is attached to every new connection.
   */
  public Listener(Endpoint config, String channel, String workerId, Wakeups wakeups, WorkerSession session) {
    this.config = config;
    this.channel = channel;
    this.workerId = workerId;
    this.wakeups = wakeups;
    this.session = session;
  }

  /** The channel listened on. */
  public String channel() {
    return channel;
  }

  /** Whether the LISTEN connection is up and the lanes were woken after it came up (a test signal). */
  public boolean listening() {
    return listening;
  }

  /** The server process of the LISTEN connection, or 0 (tests cut it with {@code pg_terminate_backend}). */
  public int backendPid() {
    return backendPid;
  }

  /** One turn: connects when there is no connection, else waits a few seconds for notifications. */
  public Duration step() throws SQLException {
    Connection c = connection;
    if (c == null) {
      connect();
      return Duration.ZERO;
    }
    try {
      PGNotification[] got = c.unwrap(PGConnection.class).getNotifications(RECEIVE_MILLIS);
      if (got != null) {
        for (PGNotification n : got) {
          wakeups.wake(n.getParameter());
        }
      }
      return Duration.ZERO;
    } catch (SQLException | RuntimeException e) {
      drop();
      throw e;
    }
  }

  private void connect() throws SQLException {
    Connection c = open();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
      backendPid = rs.next() ? rs.getInt(1) : 0;
      if (session != null) {
        session.attach(c, backendPid);
      }
    } catch (SQLException | RuntimeException e) {
      close(c, e);
      throw e;
    }
    connection = c;
    if (closed) {
      drop();
      return;
    }
    wakeups.wakeAll();
    listening = true;
  }

  /** Closes the connection for good: a wait for notifications ends at once. */
  public void close() {
    closed = true;
    drop();
  }

  /** Drops the connection, if any. */
  void drop() {
    listening = false;
    if (session != null) {
      session.detached();
    }
    Connection c = connection;
    connection = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        LOG.debug("closing the LISTEN connection of worker {} failed", workerId, e);
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
      close(c, e);
      throw e;
    }
    return c;
  }

  private static void close(Connection c, Exception failure) {
    try {
      c.close();
    } catch (SQLException closing) {
      failure.addSuppressed(closing);
    }
  }
}
