package io.mingus.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compares, at start, what a process of this role may open (its pools' maximum sizes, and the
 * LISTEN connection of task workers) with what the PostgreSQL server accepts ({@code
 * max_connections} less its reserved connections), and says how many such processes the server
 * takes at full size. Runs on a connection of its own, closed right after.
 */
final class Capacity {
  private static final Logger LOG = LoggerFactory.getLogger(Capacity.class);

  private Capacity() {}

  /** Reads the server's limit on {@code c} and logs the line; a failure to read it is logged. */
  static void check(Connection c, DatabaseConfig config, ProcessRole role) {
    if (config.dialect() != Dialect.POSTGRESQL) {
      return;
    }
    if (config.pgbouncer()) {
      boolean listens = role.runsWorkers() && config.directUrl().isPresent();
      LOG.info("role {} reaches PostgreSQL through PgBouncer: its pools are PgBouncer's clients, so PostgreSQL's"
          + " max_connections bounds PgBouncer's default_pool_size, not these pools;{} (README: Running a fleet)",
          role.label(), listens ? " each process of this role also holds 1 direct connection for LISTEN" : " no direct"
              + " connection");
      return;
    }
    String sql = "SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int,"
        + " coalesce(current_setting('reserved_connections', true), '0')::int";
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      int max = rs.getInt(1);
      int reserved = rs.getInt(2) + rs.getInt(3);
      report(config, role, max, reserved);
    } catch (SQLException e) {
      LOG.warn("could not read max_connections to check the pool sizes against it: {}", e.getMessage());
    }
  }

  static String report(DatabaseConfig config, ProcessRole role, int maxConnections, int reserved) {
    int available = maxConnections - reserved;
    int perProcess = 0;
    StringBuilder parts = new StringBuilder();
    StringBuilder prefixes = new StringBuilder();
    List<PoolName> order = role.pools().stream().sorted(Comparator.comparing(role::onDemandOnly)).toList();
    for (PoolName name : order) {
      int max = config.pool(name).maxSize();
      perProcess += max;
      parts.append(parts.isEmpty() ? "" : " + ").append(name.label()).append(' ').append(max)
          .append(role.onDemandOnly(name) ? " only when a task uses it" : "");
      prefixes.append(prefixes.isEmpty() ? "" : "/").append(name.envPrefix());
    }
    if (role.runsWorkers()) {
      perProcess += 1;
      parts.append(" + 1 for LISTEN");
    }
    int processes = available / perProcess;
    String text = "role " + role.label() + " may open up to " + perProcess + " connections (" + parts + "); the"
        + " server accepts " + available + " (max_connections " + maxConnections + " - " + reserved + " reserved): "
        + processes + " process" + (processes == 1 ? "" : "es") + " of this role at full size";
    if (processes < 1) {
      LOG.warn("{}: fewer than one. Lower {} POOL_SIZE and MAX_OVERFLOW, raise max_connections, or put PgBouncer"
          + " in front", text, prefixes);
    } else {
      LOG.info("{}. Pools open connections as they are used: count every mingus serve and mingus worker process at"
          + " what it holds under load (README: Running a fleet)", text);
    }
    return text;
  }
}
