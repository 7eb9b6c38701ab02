package io.mingus.db;

/**
 * The database engines Mingus runs on. Code above this layer keeps SQL portable and asks the
 * dialect only where PostgreSQL's own form is clearly better.
 */
public enum Dialect {
  /** PostgreSQL: production, many processes on many hosts. */
  POSTGRESQL,
  /** H2, embedded: the newcomer's default and the in-memory test database. */
  H2;

  /**
   * The dialect of a JDBC URL.
   *
   * @throws ConfigurationException when the URL is neither PostgreSQL nor H2
   */
  public static Dialect ofJdbcUrl(String jdbcUrl) {
    if (jdbcUrl.startsWith("jdbc:postgresql:")) {
      return POSTGRESQL;
    }
    if (jdbcUrl.startsWith("jdbc:h2:")) {
      return H2;
    }
    throw new ConfigurationException(
        "unsupported JDBC URL '" + io.mingus.db.internal.Redact.url(jdbcUrl) + "'; allowed: jdbc:postgresql:, jdbc:h2:");
  }
}
