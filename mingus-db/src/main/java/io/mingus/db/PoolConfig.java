package io.mingus.db;

import java.time.Duration;
import java.util.Objects;

/**
 * The settings of one named pool, in SQLAlchemy's terms and with SQLAlchemy's meaning:
 * connections open as they are used, at most {@code poolSize + maxOverflow} at once (HikariCP's
 * {@code maximumPoolSize}), and at most {@code poolSize} stay open idle (Hikari's {@code
 * minimumIdle} is 0, and Mingus closes the idle ones above {@code poolSize}); {@code recycle} →
 * {@code maxLifetime}, {@code timeout} → {@code connectionTimeout}. Immutable and validated;
 * {@link #toString()} masks the password.
 *
 * @param name which pool
 * @param jdbcUrl the JDBC URL (PostgreSQL or H2)
 * @param username the user, or {@code null} for the URL's own
 * @param password the password, or {@code null}; never printed
 * @param poolSize connections kept open once opened, idle or not; 1 or more
 * @param maxOverflow connections opened above {@code poolSize} under load; 0 or more
 * @param recycle the lifetime of a connection; zero for none, else at least 30 s (Hikari's minimum)
 * @param timeout how long a caller waits for a connection; at least 250 ms (Hikari's minimum)
 * @param readOnly whether every connection is read-only (the analytics pool)
 */
public record PoolConfig(
    PoolName name,
    String jdbcUrl,
    String username,
    String password,
    int poolSize,
    int maxOverflow,
    Duration recycle,
    Duration timeout,
    boolean readOnly) {

  /** Hikari refuses a shorter {@code maxLifetime}. */
  public static final Duration MIN_RECYCLE = Duration.ofSeconds(30);

  /** Hikari refuses a shorter {@code connectionTimeout}. */
  public static final Duration MIN_TIMEOUT = Duration.ofMillis(250);

  /** Validates every field; a bad value is refused with the rule it breaks. */
  public PoolConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    Objects.requireNonNull(recycle, "recycle");
    Objects.requireNonNull(timeout, "timeout");
    String p = name.envPrefix();
    Dialect.ofJdbcUrl(jdbcUrl);
    if (poolSize < 1) {
      throw new ConfigurationException(p + "POOL_SIZE=" + poolSize + " is not allowed: use a whole number of 1 or more");
    }
    if (maxOverflow < 0) {
      throw new ConfigurationException(p + "MAX_OVERFLOW=" + maxOverflow + " is not allowed: use a whole number of 0 or more");
    }
    if (!recycle.isZero() && recycle.compareTo(MIN_RECYCLE) < 0) {
      throw new ConfigurationException(p + "POOL_RECYCLE=" + seconds(recycle)
          + " is not allowed: use 0 (never recycle) or at least 30 seconds (HikariCP's minimum maxLifetime)");
    }
    if (timeout.compareTo(MIN_TIMEOUT) < 0) {
      throw new ConfigurationException(p + "POOL_TIMEOUT=" + seconds(timeout)
          + " is not allowed: use at least 0.25 seconds (HikariCP's minimum connectionTimeout)");
    }
  }

  /** The largest number of connections this pool opens: {@code poolSize + maxOverflow}. */
  public int maxSize() {
    return poolSize + maxOverflow;
  }

  /** The engine of {@link #jdbcUrl()}. */
  public Dialect dialect() {
    return Dialect.ofJdbcUrl(jdbcUrl);
  }

  /** This pool with other sizes. */
  public PoolConfig withSize(int size, int overflow) {
    return new PoolConfig(name, jdbcUrl, username, password, size, overflow, recycle, timeout, readOnly);
  }

  /** This pool with another acquire timeout. */
  public PoolConfig withTimeout(Duration t) {
    return new PoolConfig(name, jdbcUrl, username, password, poolSize, maxOverflow, recycle, t, readOnly);
  }

  /** This pool on another database. */
  public PoolConfig withUrl(String url, String user, String pass) {
    return new PoolConfig(name, url, user, pass, poolSize, maxOverflow, recycle, timeout, readOnly);
  }

  /** The settings with the URL's password masked and the password left out. */
  @Override
  public String toString() {
    return name.label() + "{url=" + io.mingus.db.internal.Redact.url(jdbcUrl) + ", user=" + username
        + ", pool_size=" + poolSize + ", max_overflow=" + maxOverflow
        + ", recycle=" + seconds(recycle) + "s, timeout=" + seconds(timeout) + "s"
        + (readOnly ? ", read-only" : "") + "}";
  }

  static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? Long.toString(d.toSeconds()) : Double.toString(d.toMillis() / 1000.0);
  }
}
