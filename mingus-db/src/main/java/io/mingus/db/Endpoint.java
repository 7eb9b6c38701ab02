package io.mingus.db;

import java.util.Objects;

/**
 * Where a connection outside the pools goes: a JDBC URL and its credentials. {@link
 * DatabaseConfig#directUrl()} gives the one for work that needs a session of its own (LISTEN,
 * session-level locks, migrations) when the pools reach PostgreSQL through PgBouncer. Immutable;
 * {@link #toString()} masks the password.
 *
 * @param jdbcUrl a {@code jdbc:postgresql:} or {@code jdbc:h2:} URL
 * @param username the user, or {@code null} for the URL's own
 * @param password the password, or {@code null}; never printed
 */
public record Endpoint(String jdbcUrl, String username, String password) {
  /** Checks the URL names a supported engine. */
  public Endpoint {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    Dialect.ofJdbcUrl(jdbcUrl);
  }

  /** The endpoint of a pool's settings. */
  public static Endpoint of(PoolConfig pool) {
    return new Endpoint(pool.jdbcUrl(), pool.username(), pool.password());
  }

  /** The engine of {@link #jdbcUrl()}. */
  public Dialect dialect() {
    return Dialect.ofJdbcUrl(jdbcUrl);
  }

  @Override
  public String toString() {
    return "{url=" + io.mingus.db.internal.Redact.url(jdbcUrl) + ", user=" + username + "}";
  }
}
