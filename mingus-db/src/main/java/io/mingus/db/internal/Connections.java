package io.mingus.db.internal;

import io.mingus.db.Dialect;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

/**
 * Connections outside the pools, closed by their caller: the start-up checks (so that starting a
 * process leaves no connection of a pool it may not use), and connections that keep session state.
 */
public final class Connections {
  private Connections() {}

  /**
   * A new connection to {@code jdbcUrl}.
   *
   * @param applicationName shown in PostgreSQL's {@code pg_stat_activity}
   * @param connectTimeout how long opening may take (PostgreSQL; at least one second)
   */
  public static Connection open(String jdbcUrl, String user, String password, String applicationName,
      Duration connectTimeout) throws SQLException {
    Properties p = new Properties();
    if (user != null) {
      p.setProperty("user", user);
    }
    if (password != null) {
      p.setProperty("password", password);
    }
    if (Dialect.ofJdbcUrl(jdbcUrl) == Dialect.POSTGRESQL) {
      p.setProperty("ApplicationName", applicationName);
      p.setProperty("tcpKeepAlive", "true");
      p.setProperty("connectTimeout", Long.toString(Math.max(1, connectTimeout.toSeconds())));
      p.setProperty("logServerErrorDetail", "false");
    }
    return DriverManager.getConnection(jdbcUrl, p);
  }
}
