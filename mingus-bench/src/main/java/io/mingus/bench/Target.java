package io.mingus.bench;

import io.mingus.db.DatabaseConfig;
import io.mingus.db.PoolName;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The database a benchmark runs against and the schema of its own it works in.
 *
 * @param url a JDBC URL (PostgreSQL or H2)
 * @param user the user, or {@code null}
 * @param password the password, or {@code null}; never printed
 * @param schema the benchmark's own schema, created when missing
 */
record Target(String url, String user, String password, String schema) {

  static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/test";

  static Target from(Args args, String defaultSchema) {
    return new Target(args.string("url", env("BENCH_DATABASE_URL", DEFAULT_URL)),
        args.string("user", env("BENCH_DATABASE_USER", "postgres")), System.getenv("BENCH_DATABASE_PASSWORD"),
        args.string("schema", defaultSchema));
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }

  /**
   * The production profile's settings (slow-query logging at 1 s, so the query-logging proxy is on;
   * monitoring on) on this database, with the main pool sized for {@code threads} and the two other
   * pools at one connection each, so the benchmark does not take the shared server's connections.
   */
  DatabaseConfig.Builder productionConfig(int mainPoolSize) {
    return production(url, user, password).toBuilder()
        .schema(schema)
        .poolSize(PoolName.MAIN, mainPoolSize, 0)
        .poolSize(PoolName.WORKER, 1, 0)
        .poolSize(PoolName.ANALYTICS, 1, 0)
        .poolTimeout(PoolName.MAIN, Duration.ofSeconds(30));
  }

  /**
   * The production profile's defaults on this database, read as from an environment holding only
   * MINGUS_PROFILE, DATABASE_URL and DB_USER/DB_PASSWORD. ({@code DatabaseConfig.defaults(PRODUCTION,
   * ...)} cannot be used: it reads an environment without DATABASE_URL first, which the production
   * profile refuses.)
   */
  static DatabaseConfig production(String url, String user, String password) {
    Map<String, String> env = new HashMap<>();
    env.put("MINGUS_PROFILE", "production");
    env.put("DATABASE_URL", url);
    if (user != null) {
      env.put("DB_USER", user);
    }
    if (password != null) {
      env.put("DB_PASSWORD", password);
    }
    return DatabaseConfig.fromEnvironment(env);
  }

  /** The production settings with the query-logging proxy off (no echo, no slow-query threshold). */
  DatabaseConfig.Builder noProxyConfig(int mainPoolSize) {
    return productionConfig(mainPoolSize).echo(false).slowQueryThreshold(Duration.ZERO);
  }

  @Override
  public String toString() {
    int at = url.indexOf('@');
    return (at < 0 ? url : "jdbc:...@" + url.substring(at + 1)) + " schema " + schema;
  }
}
