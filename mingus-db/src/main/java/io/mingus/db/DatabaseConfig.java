package io.mingus.db;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a {@link Database} needs, read from the environment (twelve-factor) by {@link
 * #fromEnvironment(Map)} with each {@link Profile}'s defaults. Immutable and
 * validated: a bad value is refused with one line naming it, never clamped. {@link #toString()}
 * masks every password.
 *
 * @param profile the profile whose defaults were used
 * @param main the main pool (web requests)
 * @param worker the worker pool (background tasks)
 * @param analytics the analytics pool (read-only, maybe a replica)
 * @param schema the schema every connection uses, or {@code null} for the database's default
 * @param echo log every SQL statement ({@code DB_ECHO}; never parameter values)
 * @param echoPool log every checkout and return of a connection ({@code DB_ECHO_POOL})
 * @param slowQueryThreshold log statements slower than this; zero turns it off
 * @param monitoring run the periodic health check and pool optimizer ({@code DB_ENABLE_MONITORING})
 * @param healthCheckInterval how often monitoring samples the pools
 * @param healthCheckTimeout how long one pool's validation query may take before it is unhealthy
 * @param leakDetection report a transaction holding its connection longer than this; zero is off
 * @param breakerFailures connection failures in a row that open a pool's circuit breaker
 * @param breakerRecovery how long an open breaker waits before it lets a probe through
 * @param optimizerResize whether the pool optimizer resizes pools or only recommends
 * @param pgbouncer the pools reach PostgreSQL through PgBouncer in transaction pooling ({@code
 *     DB_PGBOUNCER}): no server-side prepared statements ({@code prepareThreshold=0}), and the
 *     schema and isolation are set inside each transaction ({@code SET LOCAL}), never on the session
 * @param direct PostgreSQL itself, not PgBouncer ({@code DATABASE_DIRECT_URL}), for work that needs a
 *     session of its own; {@code null} when not set (see {@link #directUrl()})
 * @param analyticsMaxLag how far a read replica of the analytics pool may be behind ({@code
 *     ANALYTICS_MAX_LAG_SECONDS}) before it is degraded and its transactions fall back or fail
 */
public record DatabaseConfig(
    Profile profile,
    PoolConfig main,
    PoolConfig worker,
    PoolConfig analytics,
    String schema,
    boolean echo,
    boolean echoPool,
    Duration slowQueryThreshold,
    boolean monitoring,
    Duration healthCheckInterval,
    Duration healthCheckTimeout,
    Duration leakDetection,
    int breakerFailures,
    Duration breakerRecovery,
    boolean optimizerResize,
    boolean pgbouncer,
    Endpoint direct,
    Duration analyticsMaxLag) {

  /** Validates every field. */
  public DatabaseConfig {
    Objects.requireNonNull(profile, "profile");
    Objects.requireNonNull(main, "main");
    Objects.requireNonNull(worker, "worker");
    Objects.requireNonNull(analytics, "analytics");
    Objects.requireNonNull(slowQueryThreshold, "slowQueryThreshold");
    Objects.requireNonNull(healthCheckInterval, "healthCheckInterval");
    Objects.requireNonNull(healthCheckTimeout, "healthCheckTimeout");
    Objects.requireNonNull(leakDetection, "leakDetection");
    Objects.requireNonNull(breakerRecovery, "breakerRecovery");
    Objects.requireNonNull(analyticsMaxLag, "analyticsMaxLag");
    if (analyticsMaxLag.isNegative() || analyticsMaxLag.isZero()) {
      throw new ConfigurationException("ANALYTICS_MAX_LAG_SECONDS=" + analyticsMaxLag.toMillis() / 1000.0
          + " is not allowed: use a number of seconds above 0");
    }
    if (main.name() != PoolName.MAIN || worker.name() != PoolName.WORKER || analytics.name() != PoolName.ANALYTICS) {
      throw new IllegalArgumentException("pools must be given in the order main, worker, analytics");
    }
    if (schema != null && !schema.matches("[A-Za-z_][A-Za-z0-9_]{0,62}")) {
      throw new ConfigurationException("schema '" + schema + "' is not allowed: use letters, digits and _ (at most 63)");
    }
    requireNotNegative("DB_SLOW_QUERY_MS", slowQueryThreshold);
    requireNotNegative("DB_LEAK_DETECTION_MS", leakDetection);
    if (healthCheckInterval.isNegative() || healthCheckInterval.isZero()) {
      throw new ConfigurationException("DB_HEALTH_CHECK_INTERVAL=" + healthCheckInterval.toSeconds()
          + " is not allowed: use a whole number of seconds of 1 or more");
    }
    if (healthCheckTimeout.isNegative() || healthCheckTimeout.isZero()) {
      throw new IllegalArgumentException("healthCheckTimeout must be positive, was " + healthCheckTimeout);
    }
    if (pgbouncer && main.dialect() != Dialect.POSTGRESQL) {
      throw new ConfigurationException("DB_PGBOUNCER=true is not allowed with an H2 DATABASE_URL: PgBouncer fronts"
          + " PostgreSQL; leave DB_PGBOUNCER unset for H2");
    }
    if (direct != null && direct.dialect() != Dialect.POSTGRESQL) {
      throw new ConfigurationException("DATABASE_DIRECT_URL=" + io.mingus.db.internal.Redact.url(direct.jdbcUrl())
          + " is not allowed: it must be a PostgreSQL URL (the server itself, not PgBouncer)");
    }
    if (breakerFailures < 1) {
      throw new ConfigurationException("DB_CIRCUIT_FAILURE_THRESHOLD=" + breakerFailures
          + " is not allowed: use a whole number of 1 or more");
    }
    if (breakerRecovery.isNegative() || breakerRecovery.isZero()) {
      throw new ConfigurationException("DB_CIRCUIT_RECOVERY_TIMEOUT=" + breakerRecovery.toSeconds()
          + " is not allowed: use a number of seconds above 0");
    }
  }

  /** The configuration of the current process environment ({@link System#getenv()}). */
  public static DatabaseConfig fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  /**
   * The configuration of this environment: {@code MINGUS_PROFILE} picks the defaults, each
   * variable listed in the README overrides one of them.
   *
   * @throws ConfigurationException with one line naming the first bad variable, its value and
   *     what is allowed
   */
  public static DatabaseConfig fromEnvironment(Map<String, String> env) {
    return new EnvironmentConfig(env).read();
  }

  /** The defaults of a profile on this JDBC URL, as if no other variable were set. */
  public static DatabaseConfig defaults(Profile profile, String jdbcUrl, String user, String password) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("MINGUS_PROFILE", profile.label());
    // the production profile refuses to start without a URL, so give it this one
    env.put("DATABASE_URL", jdbcUrl);
    DatabaseConfig base = fromEnvironment(env);
    return base.toBuilder().url(jdbcUrl, user, password).build();
  }

  /** The pool settings of {@code name}. */
  public PoolConfig pool(PoolName name) {
    return switch (name) {
      case MAIN -> main;
      case WORKER -> worker;
      case ANALYTICS -> analytics;
    };
  }

  /** The engine of the main pool's database. */
  public Dialect dialect() {
    return main.dialect();
  }

  /**
   * Where work that needs a session of its own connects: LISTEN, session-level advisory locks,
   * migrations. It is {@code DATABASE_DIRECT_URL} when set; else, unless the pools go through
   * PgBouncer ({@link #pgbouncer()}), the worker pool's database; else empty, and such work does
   * without (task workers wake by polling instead of LISTEN/NOTIFY).
   */
  public java.util.Optional<Endpoint> directUrl() {
    if (direct != null) {
      return java.util.Optional.of(direct);
    }
    return pgbouncer ? java.util.Optional.empty() : java.util.Optional.of(Endpoint.of(worker));
  }

  /**
   * Whether the analytics pool reads from a replica: {@code ANALYTICS_DATABASE_URL} names another
   * PostgreSQL database than {@code DATABASE_URL}.
   */
  public boolean analyticsReplica() {
    return analytics.dialect() == Dialect.POSTGRESQL && !analytics.jdbcUrl().equals(main.jdbcUrl());
  }

  /** The sum of the three pools' maximum sizes: what one process may open at most. */
  public int maxConnections() {
    return main.maxSize() + worker.maxSize() + analytics.maxSize();
  }

  /** A builder holding these values. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  private static void requireNotNegative(String variable, Duration d) {
    if (d.isNegative()) {
      throw new ConfigurationException(variable + "=" + d.toMillis() + " is not allowed: use 0 (off) or more");
    }
  }

  /** Changes one setting of a configuration at a time; {@link #build()} validates the whole. */
  public static final class Builder {
    private Profile profile;
    private final PoolConfig[] pools = new PoolConfig[3];
    private String schema;
    private boolean echo;
    private boolean echoPool;
    private Duration slowQueryThreshold;
    private boolean monitoring;
    private Duration healthCheckInterval;
    private Duration healthCheckTimeout;
    private Duration leakDetection;
    private int breakerFailures;
    private Duration breakerRecovery;
    private boolean optimizerResize;
    private boolean pgbouncer;
    private Endpoint direct;
    private Duration analyticsMaxLag;

    private Builder(DatabaseConfig c) {
      profile = c.profile;
      pools[0] = c.main;
      pools[1] = c.worker;
      pools[2] = c.analytics;
      schema = c.schema;
      echo = c.echo;
      echoPool = c.echoPool;
      slowQueryThreshold = c.slowQueryThreshold;
      monitoring = c.monitoring;
      healthCheckInterval = c.healthCheckInterval;
      healthCheckTimeout = c.healthCheckTimeout;
      leakDetection = c.leakDetection;
      breakerFailures = c.breakerFailures;
      breakerRecovery = c.breakerRecovery;
      optimizerResize = c.optimizerResize;
      pgbouncer = c.pgbouncer;
      direct = c.direct;
      analyticsMaxLag = c.analyticsMaxLag;
    }

    /** Every pool on this database (the analytics pool too). */
    public Builder url(String jdbcUrl, String user, String password) {
      for (int i = 0; i < 3; i++) {
        pools[i] = pools[i].withUrl(jdbcUrl, user, password);
      }
      return this;
    }

    /** Replaces one pool's settings. */
    public Builder pool(PoolConfig pool) {
      pools[pool.name().ordinal()] = pool;
      return this;
    }

    /** Sets one pool's sizes. */
    public Builder poolSize(PoolName name, int size, int overflow) {
      pools[name.ordinal()] = pools[name.ordinal()].withSize(size, overflow);
      return this;
    }

    /** Sets one pool's acquire timeout. */
    public Builder poolTimeout(PoolName name, Duration timeout) {
      pools[name.ordinal()] = pools[name.ordinal()].withTimeout(timeout);
      return this;
    }

    /** The schema every connection uses; {@code null} for the default. */
    public Builder schema(String s) {
      schema = s;
      return this;
    }

    /** SQL echo. */
    public Builder echo(boolean on) {
      echo = on;
      return this;
    }

    /** Pool checkout logging. */
    public Builder echoPool(boolean on) {
      echoPool = on;
      return this;
    }

    /** The slow-query threshold; zero turns it off. */
    public Builder slowQueryThreshold(Duration d) {
      slowQueryThreshold = d;
      return this;
    }

    /** Periodic monitoring. */
    public Builder monitoring(boolean on) {
      monitoring = on;
      return this;
    }

    /** The monitoring interval. */
    public Builder healthCheckInterval(Duration d) {
      healthCheckInterval = d;
      return this;
    }

    /** The validation-query timeout of a health check. */
    public Builder healthCheckTimeout(Duration d) {
      healthCheckTimeout = d;
      return this;
    }

    /** The leak-detection threshold; zero turns it off. */
    public Builder leakDetection(Duration d) {
      leakDetection = d;
      return this;
    }

    /** The circuit breakers' failure threshold and recovery timeout. */
    public Builder breaker(int failures, Duration recovery) {
      breakerFailures = failures;
      breakerRecovery = recovery;
      return this;
    }

    /** Whether the optimizer resizes pools. */
    public Builder optimizerResize(boolean on) {
      optimizerResize = on;
      return this;
    }

    /**
     * Whether the pools go through PgBouncer in transaction pooling, and PostgreSQL itself for
     * session work ({@code null}: none).
     */
    public Builder pgbouncer(boolean on, Endpoint directUrl) {
      pgbouncer = on;
      direct = directUrl;
      return this;
    }

    /** The analytics pool's database, a read replica (a {@code jdbc:postgresql:} URL). */
    public Builder analyticsUrl(String jdbcUrl, String user, String password) {
      pools[2] = pools[2].withUrl(jdbcUrl, user, password);
      return this;
    }

    /** How far the analytics replica may be behind. */
    public Builder analyticsMaxLag(Duration d) {
      analyticsMaxLag = d;
      return this;
    }

    /** The validated configuration. */
    public DatabaseConfig build() {
      return new DatabaseConfig(profile, pools[0], pools[1], pools[2], schema, echo, echoPool,
          slowQueryThreshold, monitoring, healthCheckInterval, healthCheckTimeout, leakDetection,
          breakerFailures, breakerRecovery, optimizerResize, pgbouncer, direct, analyticsMaxLag);
    }
  }
}
