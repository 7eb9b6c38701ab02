package io.mingus.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compares, at start, what this process's pools may open with what the PostgreSQL server accepts
 * ({@code max_connections} less its reserved connections), and says how many processes of this
 * size the server can take.
 */
final class Capacity {
  private static final Logger LOG = LoggerFactory.getLogger(Capacity.class);

  private Capacity() {}

  static void check(Database db) {
    if (db.dialect() != Dialect.POSTGRESQL) {
      return;
    }
    String sql = "SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int,"
        + " coalesce(current_setting('reserved_connections', true), '0')::int";
    try (Connection c = db.pools().dataSource(PoolName.MAIN).getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      int max = rs.getInt(1);
      int reserved = rs.getInt(2) + rs.getInt(3);
      report(db.config(), max, reserved);
    } catch (SQLException e) {
      LOG.warn("could not read max_connections to check the pool sizes against it: {}", e.getMessage());
    }
  }

  static String report(DatabaseConfig config, int maxConnections, int reserved) {
    int available = maxConnections - reserved;
    int perProcess = config.maxConnections();
    int processes = perProcess == 0 ? 0 : available / perProcess;
    String sizes = "main " + config.main().maxSize() + " + worker " + config.worker().maxSize() + " + analytics "
        + config.analytics().maxSize();
    String text = "this process's pools may open up to " + perProcess + " connections (" + sizes + "); the server"
        + " accepts " + available + " (max_connections " + maxConnections + " - " + reserved + " reserved), so it can"
        + " take " + processes + " process" + (processes == 1 ? "" : "es") + " of this size";
    if (processes < 1) {
      LOG.warn("{}: fewer than one. Lower DB_/WORKER_DB_/ANALYTICS_DB_ POOL_SIZE and MAX_OVERFLOW, raise"
          + " max_connections, or put PgBouncer in front", text);
    } else {
      LOG.info("{}; count every mingus serve and mingus worker process against that", text);
    }
    return text;
  }
}
