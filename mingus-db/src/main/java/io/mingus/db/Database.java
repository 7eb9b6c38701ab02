package io.mingus.db;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.mingus.db.internal.Connections;
import io.mingus.db.internal.Engine;
import io.mingus.db.internal.HealthChecker;
import io.mingus.db.internal.Monitor;
import io.mingus.db.internal.Optimizer;
import io.mingus.db.internal.OrmFactory;
import io.mingus.db.internal.Pools;
import io.mingus.db.internal.QueryLogger;
import io.mingus.db.internal.ShippedMigrations;
import io.mingus.db.internal.Stats;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database of one process: the pools of its {@link ProcessRole}, its transactions, health and
 * statistics. Build one per process and share it. Pools open connections as they are used and keep at most {@code pool_size} idle,
 * so a process that has just started holds none of them.
 *
 * <pre>{@code
 * try (Database db = Database.create(DatabaseConfig.fromEnvironment())) {
 *   long id = db.fromTransaction(session -> insertUser(session.connection(), email));
 *   db.inTransaction(TransactionOptions.named("touch").withRetry(RetryPolicy.defaults()),
 *       session -> session.update("UPDATE users SET seen_at = now() WHERE id = ?", id));
 * }
 * }</pre>
 *
 * <p>{@code inTransaction}/{@code fromTransaction} commit when the work returns, roll back when it
 * throws (and rethrow the very exception), and always return the connection. The current
 * transaction is carried in a {@link ScopedValue}, so nested calls join it (or open their own, or a
 * savepoint: see {@link Propagation}) on any thread, virtual threads included. Thread-safe; {@link
 * #close()} is idempotent and closes the pools last.
 */
public final class Database implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  private final DatabaseConfig config;
  private final ProcessRole role;
  private final MeterRegistry registry;
  private final Stats stats;
  private final Pools pools;
  private final OrmFactory orm;
  private final Engine engine;
  private final HealthChecker health;
  private final Optimizer optimizer;
  private final Monitor monitor;
  private final boolean validateMigrations;
  private java.sql.Connection h2Anchor; // guarded by this
  private volatile boolean closed;

  private Database(Builder b) {
    this.config = b.config;
    this.validateMigrations = b.validateMigrations;
    this.registry = b.registry != null ? b.registry : new SimpleMeterRegistry();
    this.stats = new Stats(registry);
    Engine[] engineRef = new Engine[1];
    QueryLogger queryLogger = QueryLogger.needed(config.echo(), config.slowQueryThreshold())
        ? new QueryLogger(config.echo(), config.slowQueryThreshold(),
            () -> engineRef[0] == null ? "(none)" : engineRef[0].currentName(), stats::slowQuery)
        : null;
    this.role = b.role;
    this.pools = new Pools(config, role, registry, queryLogger, b.clock);
    try {
      this.orm = new OrmFactory(b.entities, config.dialect(), pools.dataSource(PoolName.MAIN));
      io.mingus.db.internal.Replica replica = io.mingus.db.internal.Replica.of(pools, config);
      this.engine = new Engine(pools, stats, config.dialect(), orm::open, config.leakDetection(), config.echoPool(),
          b.sleeper, replica);
      engineRef[0] = engine;
      this.health = new HealthChecker(pools, config.healthCheckTimeout(), stats::snapshot, b.clock, replica);
      this.monitor = new Monitor(config, engine, health);
      this.optimizer = new Optimizer(pools, config.optimizerResize(), monitor.scheduler(),
          Duration.ofSeconds(Math.min(10, config.healthCheckInterval().toSeconds())));
      monitor.start(optimizer);
    } catch (RuntimeException e) {
      pools.close();
      throw e;
    }
    LOG.info("database ready: profile {}, role {} (pools {}), {} / {} / {}, schema {}, echo {}, slow queries >= {} ms,"
        + " monitoring {}{}", config.profile().label(), role.label(), role.pools(), config.main(), config.worker(),
        config.analytics(),
        config.schema() == null ? "(default)" : config.schema(), config.echo(), config.slowQueryThreshold().toMillis(),
        config.monitoring(), !config.pgbouncer() ? "" : ", through PgBouncer (transaction pooling: prepareThreshold=0,"
            + " settings per transaction), direct " + config.directUrl().map(Endpoint::toString).orElse("none"));
    startupChecks();
  }

  /**
   * Creates the schema and compares the pool sizes with the server's limit, on one connection of
   * its own: a database that is down now gets its schema with the first transaction instead.
   */
  private void startupChecks() {
    if (config.schema() == null && config.dialect() != Dialect.POSTGRESQL) {
      return;
    }
    try (var c = startupConnection()) {
      if (config.schema() != null) {
        try (var st = c.createStatement()) {
          st.execute("CREATE SCHEMA IF NOT EXISTS " + config.schema());
        }
      }
      Capacity.check(c, config, role);
    } catch (java.sql.SQLException e) {
      LOG.warn("could not {} at start ({}){}", config.schema() == null ? "check the pool sizes against"
          + " max_connections" : "create schema " + config.schema(), e.getMessage(), config.schema() == null ? ""
          : "; the first transaction that gets a connection will");
      if (config.schema() != null) {
        pools.createSchemaOnFirstUse(config.schema());
      }
    }
  }

  /**
   * A connection of its own for a start-up check, closed right after: the pools stay empty until
   * the process's work uses them.
   */
  java.sql.Connection startupConnection() throws java.sql.SQLException {
    Endpoint e = sessionEndpoint();
    return Connections.open(e.jdbcUrl(), e.username(), e.password(), "mingus-startup", config.main().timeout());
  }

  /**
   * Where connections outside the pools go (start-up checks, migrations): PostgreSQL itself when
   * {@link DatabaseConfig#directUrl()} names it, else the main pool's URL, through PgBouncer then
   * without server-side prepared statements.
   */
  private Endpoint sessionEndpoint() {
    if (config.pgbouncer()) {
      return config.directUrl().orElseGet(() -> {
        PoolConfig main = config.main();
        String url = main.jdbcUrl() + (main.jdbcUrl().contains("?") ? "&" : "?") + "prepareThreshold=0";
        return new Endpoint(url, main.username(), main.password());
      });
    }
    return Endpoint.of(config.main());
  }

  /** A database with this configuration, no entity classes and its own meter registry. */
  public static Database create(DatabaseConfig config) {
    return builder(config).build();
  }

  /** A builder for a database with this configuration. */
  public static Builder builder(DatabaseConfig config) {
    return new Builder(config);
  }

  /** Runs {@code work} in a transaction with the default options; see the class comment. */
  public <X extends Exception> void inTransaction(TransactionAction<X> work) throws X {
    inTransaction(TransactionOptions.defaults(), work);
  }

  /** Runs {@code work} in a transaction with these options. */
  public <X extends Exception> void inTransaction(TransactionOptions options, TransactionAction<X> work) throws X {
    Objects.requireNonNull(work, "work");
    fromTransaction(options, session -> {
      work.execute(session);
      return null;
    });
  }

  /** Runs {@code work} in a transaction with the default options and returns its result. */
  public <R, X extends Exception> R fromTransaction(TransactionWork<R, X> work) throws X {
    return fromTransaction(TransactionOptions.defaults(), work);
  }

  /** Runs {@code work} in a transaction with these options and returns its result. */
  public <R, X extends Exception> R fromTransaction(TransactionOptions options, TransactionWork<R, X> work) throws X {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(work, "work");
    requireOpen();
    return engine.run(options, work);
  }

  /** Begins an explicit transaction with the default options; see {@link Transaction}. */
  public Transaction begin() {
    return begin(TransactionOptions.defaults());
  }

  /** Begins an explicit transaction with these options (propagation is ignored: it is always new). */
  public Transaction begin(TransactionOptions options) {
    requireOpen();
    return engine.begin(options);
  }

  /** The pools of this process's role. */
  public PoolManager pools() {
    return pools;
  }

  /** What this process does, and so which pools it has. */
  public ProcessRole role() {
    return role;
  }

  /** Checks every pool now (a validation query each, concurrently, within the health timeout). */
  public HealthReport health() {
    return health.checkAll();
  }

  /** Transaction counters since start. */
  public SessionStats stats() {
    return stats.snapshot();
  }

  /** The pool optimizer; running when monitoring is on. */
  public PoolOptimizer optimizer() {
    return optimizer;
  }

  /** The transactions holding a connection now. */
  public List<OpenTransaction> openTransactions() {
    return engine.openTransactions();
  }

  /** The configuration this database was built with. */
  public DatabaseConfig config() {
    return config;
  }

  /** The engine of the main pool's database. */
  public Dialect dialect() {
    return config.dialect();
  }

  /** The registry this database's meters (Hikari's and Mingus's) are registered with. */
  public MeterRegistry meterRegistry() {
    return registry;
  }

  /** The shared Hibernate session factory, built now if it was not yet. */
  public org.hibernate.SessionFactory sessionFactory() {
    return orm.factory();
  }

  /**
   * Applies the Flyway migrations of one module: scripts under {@code location/common} and
   * {@code location/h2} or {@code location/postgresql} (by this database's dialect), recorded in a
   * history table of the module's own ({@code mingus_<module>_history}), so that modules migrate
   * independently. Flyway works on a connection of its own, outside the pools, so that it never
   * competes with the application for the pool's connections (a testing pool of one would deadlock).
   *
   * <p>When the history table already records every versioned script the module ships (listed
   * from the class path without Flyway), Flyway is not run at all: a restart costs one query
   * instead of Flyway's scan and validation. So the checksums of applied scripts are validated
   * whenever a migration is pending, and always with {@link Builder#validateMigrations(boolean)}
   * (which {@code mingus migrate} sets).
   *
   * @param module a short name such as {@code tasks}
   * @param location a Flyway location such as {@code classpath:io/mingus/tasks/migration}
   * @return the number of migrations applied
   */
  public int migrate(String module, String location) {
    requireOpen();
    Endpoint target = sessionEndpoint();
    String vendor = switch (config.dialect()) {
      case POSTGRESQL -> "postgresql";
      case H2 -> "h2";
    };
    List<String> locations = List.of(location + "/common", location + "/" + vendor);
    String table = "mingus_" + module + "_history";
    if (!validateMigrations && upToDate(target, locations, table)) {
      LOG.debug("the {} migrations are all applied ({}): Flyway not run", module, table);
      return 0;
    }
    // (the check above names the schema in its one query, so it is safe through PgBouncer)
    if (config.pgbouncer() && config.schema() != null && config.directUrl().isEmpty()) {
      throw new ConfigurationException("cannot apply the " + module + " migrations through PgBouncer in schema "
          + config.schema() + ": Flyway sets the schema on its session, which transaction pooling does not keep. Set"
          + " DATABASE_DIRECT_URL to PostgreSQL itself (not PgBouncer), or leave DB_SCHEMA unset (ALTER ROLE ... SET"
          + " search_path)");
    }
    var flyway = Flyway.configure(getClass().getClassLoader())
        .dataSource(target.jdbcUrl(), target.username(), target.password())
        .locations(locations.toArray(String[]::new))
        .table(table)
        .baselineOnMigrate(true)
        .baselineVersion("0");
    if (config.schema() != null) {
      flyway.schemas(config.schema()).defaultSchema(config.schema());
    }
    return flyway.load().migrate().migrationsExecuted;
  }

  /**
   * Whether the history table already records every migration the module ships (listed without
   * Flyway): one query on a connection of its own. On H2 that connection stays open until {@link
   * #close()}: an embedded H2 database closes with its last connection, and opening its file again
   * (for the next module's check, then for the pools) was most of a start's database time.
   */
  private boolean upToDate(Endpoint target, List<String> locations, String table) {
    var shipped = ShippedMigrations.versions(getClass().getClassLoader(), locations);
    if (shipped.isEmpty() || shipped.get().isEmpty()) {
      return false;
    }
    try {
      if (config.dialect() == Dialect.H2) {
        synchronized (this) {
          if (h2Anchor == null || h2Anchor.isClosed()) {
            h2Anchor = Connections.open(target.jdbcUrl(), target.username(), target.password(), "mingus-migrate",
                config.main().timeout());
          }
          return ShippedMigrations.allApplied(h2Anchor, config.schema(), table, shipped.get());
        }
      }
      try (var c = Connections.open(target.jdbcUrl(), target.username(), target.password(), "mingus-migrate",
          config.main().timeout())) {
        return ShippedMigrations.allApplied(c, config.schema(), table, shipped.get());
      }
    } catch (java.sql.SQLException e) {
      return false;
    }
  }

  private synchronized void closeH2Anchor() {
    if (h2Anchor != null) {
      try {
        h2Anchor.close();
      } catch (java.sql.SQLException e) {
        LOG.debug("closing the H2 connection of the migration checks failed: {}", e.toString());
      }
      h2Anchor = null;
    }
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("this Database is closed");
    }
  }

  /** Stops monitoring, closes the session factory, then the pools; idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    monitor.close();
    try {
      orm.close();
    } finally {
      try {
        pools.close();
      } finally {
        closeH2Anchor();
      }
    }
  }

  /** Builds a {@link Database}. Not thread-safe. */
  public static final class Builder {
    private final DatabaseConfig config;
    private final List<Class<?>> entities = new ArrayList<>();
    private MeterRegistry registry;
    private InstantSource clock = InstantSource.system();
    private ProcessRole role = ProcessRole.ALL;
    private Engine.Sleeper sleeper = d -> Thread.sleep(d);
    private boolean validateMigrations;

    private Builder(DatabaseConfig config) {
      this.config = Objects.requireNonNull(config, "config");
    }

    /** Adds Hibernate entity classes to the shared session factory. */
    public Builder entities(Class<?>... classes) {
      entities.addAll(List.of(classes));
      return this;
    }

    /** Adds Hibernate entity classes to the shared session factory. */
    public Builder entities(List<Class<?>> classes) {
      entities.addAll(classes);
      return this;
    }

    /** The registry to bind meters to (default: a private simple registry). */
    public Builder meterRegistry(MeterRegistry r) {
      registry = Objects.requireNonNull(r, "registry");
      return this;
    }

    /** The clock of health reports and breaker times (default: the system clock). */
    public Builder clock(InstantSource c) {
      clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /** What the process does, and so which pools it opens (default: {@link ProcessRole#ALL}). */
    public Builder role(ProcessRole r) {
      role = Objects.requireNonNull(r, "role");
      return this;
    }

    /**
     * Whether {@link #migrate} runs Flyway, and so validates the checksums of the applied
     * migrations against the shipped scripts, even when the history table records them all
     * (default false: then it skips Flyway; a start with a pending migration always runs it).
     */
    public Builder validateMigrations(boolean validate) {
      validateMigrations = validate;
      return this;
    }

    /** Builds and starts the database. */
    public Database build() {
      return new Database(this);
    }
  }
}
