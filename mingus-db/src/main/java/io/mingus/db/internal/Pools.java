package io.mingus.db.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.mingus.db.BreakerState;
import io.mingus.db.DatabaseConfig;
import io.mingus.db.DatabaseErrors;
import io.mingus.db.DatabaseException;
import io.mingus.db.Dialect;
import io.mingus.db.ErrorKind;
import io.mingus.db.PerformanceMetrics;
import io.mingus.db.PoolConfig;
import io.mingus.db.PoolExhaustedException;
import io.mingus.db.PoolManager;
import io.mingus.db.PoolMetrics;
import io.mingus.db.PoolName;
import io.mingus.db.ProcessRole;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * The Hikari pools of a process's {@link ProcessRole}, each with its circuit breaker ({@link
 * Breaker}), its reachability probe ({@link Reachability}), meters and {@link IdleCap}. Hikari
 * opens its connections through a {@link Connector}, which waits for the probe while the database
 * is unreachable. Connections for transactions come from {@link #acquire}, which tells a timeout
 * (the pool is exhausted) from a connection failure (the database is unreachable) and refuses at
 * once a request that could only deadlock.
 *
 * <p>Pools open connections when they are used, as SQLAlchemy's do: Hikari's {@code minimumIdle}
 * is a floor it fills up to at start and keeps filling (idle connections on top of the ones in
 * use), so it is 0 here; {@code idleTimeout} 0 keeps the idle ones until {@code maxLifetime}
 * (pool_recycle), and the {@link IdleCap} closes those above {@code pool_size} once they have
 * gone unneeded for a second. {@code initializationFailTimeout} -1 builds a pool without opening any connection.
 */
public final class Pools implements PoolManager, AutoCloseable {
  /** How often at most a broken lent connection retires the rest of its pool. */
  private static final long EVICT_EVERY_NANOS = Duration.ofSeconds(1).toNanos();

  private final Map<PoolName, Pool> pools = new EnumMap<>(PoolName.class);
  private final DatabaseConfig config;
  private final ProcessRole role;
  private final java.util.concurrent.locks.ReentrantLock schemaLock = new java.util.concurrent.locks.ReentrantLock();
  private volatile String pendingSchema;

  /** One pool: Hikari, its gate, its proxy for query logging, breaker, reachability, meters and idle cap. */
  record Pool(PoolConfig config, HikariDataSource hikari, Gate gate, DataSource lending, Breaker breaker,
      Reachability reachability, PoolMeters meters, IdleCap idleCap, AtomicLong lastEviction) {}

  /** Builds the pools of {@code role}; none opens a connection until it is used. */
  public Pools(DatabaseConfig config, ProcessRole role, MeterRegistry registry, QueryLogger queryLogger,
      InstantSource clock) {
    this.config = config;
    this.role = role;
    CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
    try {
      for (PoolName name : role.pools()) {
        PoolConfig pc = config.pool(name);
        Reachability reachability = new Reachability(name, Connector.probeDriver(pc, config.pgbouncer()),
            config.breakerRecovery(), clock);
        PoolMeters meters = new PoolMeters(name, registry);
        Connector connector = new Connector(Connector.driver(pc, config.pgbouncer()), reachability,
            config.breakerRecovery());
        // behind PgBouncer each transaction sets its schema (SET LOCAL), never the session
        String sessionSchema = config.pgbouncer() ? null : config.schema();
        HikariDataSource hikari = new HikariDataSource(hikariConfig(pc, sessionSchema, connector,
            meters.trackerFactory(registry)));
        // Connections opened before an outage are most likely dead after it.
        reachability.onRegained(() -> softEvict(hikari));
        Breaker breaker = new Breaker(name, config, breakers, reachability, clock, registry);
        DataSource lending = queryLogger == null ? hikari : queryLogger.wrap(hikari, name);
        Gate gate = new Gate(pc.maxSize());
        pools.put(name, new Pool(pc, hikari, gate, lending, breaker, reachability, meters,
            new IdleCap(hikari, pc.poolSize(), gate), new AtomicLong(System.nanoTime() - EVICT_EVERY_NANOS)));
      }
      TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(registry);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private static HikariConfig hikariConfig(PoolConfig pc, String schema, Connector connector,
      com.zaxxer.hikari.metrics.MetricsTrackerFactory tracker) {
    HikariConfig h = new HikariConfig();
    h.setPoolName("mingus-" + pc.name().label());
    h.setDataSource(connector);
    // On demand (see the class comment): nothing opened at start, none kept but by the IdleCap.
    h.setMinimumIdle(0);
    h.setIdleTimeout(0);
    h.setMaximumPoolSize(pc.maxSize());
    h.setMaxLifetime(pc.recycle().toMillis());
    h.setConnectionTimeout(pc.timeout().toMillis());
    h.setValidationTimeout(Math.min(5000, Math.max(250, pc.timeout().toMillis())));
    h.setReadOnly(pc.readOnly());
    h.setAutoCommit(true);
    // Start even when the database is down: health reports it and the breaker guards callers.
    h.setInitializationFailTimeout(-1);
    h.setRegisterMbeans(false);
    if (schema != null) {
      h.setSchema(schema);
    }
    h.setMetricsTrackerFactory(tracker);
    return h;
  }

  private static void softEvict(HikariDataSource hikari) {
    HikariPoolMXBean mx = hikari.getHikariPoolMXBean();
    if (mx != null) {
      mx.softEvictConnections();
    }
  }

  Pool pool(PoolName name) {
    Pool p = pools.get(name);
    if (p == null) {
      throw new DatabaseException("pool '" + name.label() + "' is not open in this process: its role, "
          + role.label() + ", has only " + labels() + ". Run this work in a process whose role has it (mingus"
          + " serve opens every pool), or use one of those", null, ErrorKind.PROGRAMMING);
    }
    return p;
  }

  private String labels() {
    return String.join(" and ", pools.keySet().stream().map(PoolName::label).toList());
  }

  /** The role whose pools these are. */
  public ProcessRole role() {
    return role;
  }

  @Override
  public Set<PoolName> names() {
    return Collections.unmodifiableSet(pools.keySet());
  }

  /** Whether this process has pool {@code name}. */
  public boolean has(PoolName name) {
    return pools.containsKey(name);
  }

  Breaker breaker(PoolName name) {
    return pool(name).breaker();
  }

  /** Whether {@code name}'s database is thought reachable (no connection to it failed since it was). */
  boolean reachable(PoolName name) {
    return pool(name).reachability().reachable();
  }

  /**
   * A connection of {@code name} that {@link #acquire} lent came back (or was closed): the next
   * caller in line gets its turn, and those idle above pool_size are closed.
   */
  void returned(PoolName name) {
    Pool p = pools.get(name);
    if (p != null) {
      p.gate().leave();
    }
    returnedDirectly(name);
  }

  /**
   * A connection of {@code name} taken straight from Hikari ({@link #dataSource}, as the health
   * check and the replica's lag do, without a turn at the gate) came back: closes those idle above
   * its pool_size.
   */
  void returnedDirectly(PoolName name) {
    Pool p = pools.get(name);
    if (p != null) {
      p.idleCap().afterReturn();
    }
  }

  /**
   * A connection of {@code name} for transaction {@code txName}, whose thread already holds
   * {@code held} connections of that pool.
   *
   * @throws PoolExhaustedException at once when waiting could only deadlock, or after the pool's
   *     timeout when no connection came back
   * @throws DatabaseException of kind CONNECTION when the database cannot be reached
   */
  Connection acquire(PoolName name, String txName, int held) {
    Pool p = pool(name);
    if (held > 0) {
      refuseSelfDeadlock(p, txName, held);
    }
    long start = System.nanoTime();
    waitForTurn(p, txName);
    Connection c = null;
    try {
      c = p.lending().getConnection();
      p.meters().checkedOut(System.nanoTime() - start);
      if (pendingSchema != null) {
        createPendingSchema(c);
      }
      return c;
    } catch (SQLException | RuntimeException e) {
      closeQuietly(c, e);
      p.gate().leave();
      if (e instanceof RuntimeException r) {
        throw r;
      }
      if (DatabaseErrors.classify(e).kind() == ErrorKind.POOL_EXHAUSTED) {
        p.meters().timeout();
        throw new PoolExhaustedException(name, exhaustedMessage(p, txName), e);
      }
      p.meters().connectionError();
      throw new DatabaseException("pool '" + name.label() + "' could not open a connection for transaction '"
          + txName + "' to " + Redact.url(p.config().jdbcUrl()) + ": " + e.getMessage()
          + ". Check that the database is up and reachable and that DATABASE_URL is right", e, ErrorKind.CONNECTION);
    }
  }

  private static void closeQuietly(Connection c, Exception failure) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (SQLException e) {
      failure.addSuppressed(e);
    }
  }

  /** Waits for this caller's turn at {@code p}'s connections (see {@link Gate}), at most the pool's timeout. */
  private static void waitForTurn(Pool p, String txName) {
    boolean entered;
    try {
      entered = p.gate().enter(TimeUnit.MILLISECONDS.toNanos(p.hikari().getConnectionTimeout()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      // neither a connection failure (the breaker and the replica routing must not count it) nor retryable
      throw new DatabaseException("transaction '" + txName + "' was interrupted while waiting for a connection of pool '"
          + p.config().name().label() + "'", e, ErrorKind.UNKNOWN);
    }
    if (!entered) {
      p.meters().timeout();
      throw new PoolExhaustedException(p.config().name(), exhaustedMessage(p, txName), null);
    }
  }

  /**
   * Whether the pools go through PgBouncer in transaction pooling: a server session is shared from
   * one transaction to the next, so every setting is made inside the transaction ({@code SET
   * LOCAL}) and nothing is left on the session.
   */
  boolean sessionless() {
    return config.pgbouncer();
  }

  /** The schema each transaction sets for itself ({@code SET LOCAL search_path}), or {@code null}. */
  String transactionSchema() {
    return config.pgbouncer() ? config.schema() : null;
  }

  /**
   * Creates {@code schema} with the first connection a transaction gets: start-up could not,
   * because the database was down then.
   */
  public void createSchemaOnFirstUse(String schema) {
    pendingSchema = schema;
  }

  private void createPendingSchema(Connection c) throws SQLException {
    schemaLock.lock();
    try {
      String schema = pendingSchema;
      if (schema == null || c.isReadOnly()) {
        return;
      }
      try (var st = c.createStatement()) {
        st.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
      }
      if (!c.getAutoCommit()) {
        c.commit();
      }
      pendingSchema = null;
    } catch (SQLException e) {
      c.close();
      throw e;
    } finally {
      schemaLock.unlock();
    }
  }

  /**
   * A transaction's lent connection broke ({@code 57P01} terminated, a restart, a cut). Hikari
   * drops that connection; the others opened before it most likely died in the same event, so
   * they are retired too (idle ones now, lent ones when they come back) and the retry gets a
   * fresh one. At most once a second per pool.
   */
  void connectionLost(PoolName name) {
    Pool p = pool(name);
    p.meters().connectionError();
    long now = System.nanoTime();
    long last = p.lastEviction().get();
    if (now - last >= EVICT_EVERY_NANOS && p.lastEviction().compareAndSet(last, now)) {
      softEvict(p.hikari());
    }
  }

  private static void refuseSelfDeadlock(Pool p, String txName, int held) {
    HikariPoolMXBean mx = p.hikari().getHikariPoolMXBean();
    int max = p.hikari().getMaximumPoolSize();
    boolean noSpare = mx != null && mx.getIdleConnections() == 0 && mx.getTotalConnections() >= max;
    if (held >= max || noSpare) {
      String label = p.config().name().label();
      throw new PoolExhaustedException(p.config().name(), "transaction '" + txName + "' asked pool '" + label
          + "' for another connection while its own thread already holds " + held + " of the pool's " + max
          + " and none is spare (" + (mx == null ? 0 : mx.getActiveConnections()) + " in use, 0 idle): waiting would"
          + " deadlock, so it fails at once. Use Propagation.REQUIRED or NESTED instead of REQUIRES_NEW here, or raise "
          + p.config().name().envPrefix() + "MAX_OVERFLOW", null,
          held >= max ? ErrorKind.PROGRAMMING : ErrorKind.POOL_EXHAUSTED);
    }
  }

  /** Callers waiting for a connection: for their turn, or (rarely) for Hikari to open one. */
  private static int waiting(Pool p) {
    HikariPoolMXBean mx = p.hikari().getHikariPoolMXBean();
    return p.gate().waiting() + (mx == null ? 0 : mx.getThreadsAwaitingConnection());
  }

  private static String exhaustedMessage(Pool p, String txName) {
    HikariPoolMXBean mx = p.hikari().getHikariPoolMXBean();
    PoolConfig c = p.config();
    String prefix = c.name().envPrefix();
    return "pool '" + c.name().label() + "' lent no connection to transaction '" + txName + "' within "
        + p.hikari().getConnectionTimeout() + " ms: " + mx.getActiveConnections() + " of "
        + p.hikari().getMaximumPoolSize() + " connections in use, " + mx.getIdleConnections() + " idle, "
        + waiting(p) + " callers waiting (pool_size " + c.poolSize() + " + max_overflow "
        + c.maxOverflow() + "). Raise " + prefix + "POOL_SIZE or " + prefix + "MAX_OVERFLOW, keep transactions"
        + " shorter, or look for a leak with DB_LEAK_DETECTION_MS";
  }

  @Override
  public PoolMetrics metrics(PoolName name) {
    Pool p = pool(name);
    HikariPoolMXBean mx = p.hikari().getHikariPoolMXBean();
    int active = mx == null ? 0 : mx.getActiveConnections();
    int idle = mx == null ? 0 : mx.getIdleConnections();
    int total = mx == null ? 0 : mx.getTotalConnections();
    int waiting = waiting(p);
    PoolMeters m = p.meters();
    return new PoolMetrics(name, p.config().poolSize(), p.hikari().getMaximumPoolSize(), active, idle, waiting,
        Math.max(0, total - p.config().poolSize()), total, m.connectionErrors(), m.timeouts(), m.checkouts(),
        m.averageCheckout(), m.p99Checkout());
  }

  @Override
  public Map<PoolName, PoolMetrics> metrics() {
    Map<PoolName, PoolMetrics> all = new EnumMap<>(PoolName.class);
    for (PoolName name : pools.keySet()) {
      all.put(name, metrics(name));
    }
    return all;
  }

  @Override
  public PerformanceMetrics performance() {
    long checkouts = 0;
    long errors = 0;
    long timeouts = 0;
    long nanos = 0;
    for (Pool p : pools.values()) {
      PoolMeters m = p.meters();
      checkouts += m.checkouts();
      timeouts += m.timeouts();
      errors += m.connectionErrors() + m.timeouts();
      nanos += m.checkoutNanos();
    }
    return new PerformanceMetrics(checkouts, errors, timeouts,
        Duration.ofNanos(checkouts == 0 ? 0 : nanos / checkouts), checkouts == 0 ? 0 : (double) errors / checkouts);
  }

  /** Zeroes the counters behind {@link #performance()} and {@link #metrics(PoolName)}. */
  void resetMeters() {
    pools.values().forEach(p -> p.meters().reset());
  }

  @Override
  public DataSource dataSource(PoolName name) {
    return pool(name).hikari();
  }

  @Override
  public BreakerState breakerState(PoolName name) {
    return pool(name).breaker().state();
  }

  @Override
  public PoolConfig config(PoolName name) {
    return config.pool(name);
  }

  @Override
  public void resize(PoolName name, int maxSize) {
    Pool p = pool(name);
    if (maxSize < p.config().poolSize()) {
      throw new IllegalArgumentException("pool '" + name.label() + "' cannot shrink to " + maxSize
          + ": its pool_size is " + p.config().poolSize());
    }
    p.hikari().getHikariConfigMXBean().setMaximumPoolSize(maxSize);
    p.gate().resize(maxSize);
  }

  @Override
  public void close() {
    RuntimeException failure = null;
    // First release the connection adders waiting for a probe, so that Hikari's close is quick.
    pools.values().forEach(p -> p.reachability().close());
    for (Pool p : pools.values()) {
      try {
        p.hikari().close();
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
