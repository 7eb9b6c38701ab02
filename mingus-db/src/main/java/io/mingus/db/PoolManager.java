package io.mingus.db;

import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The named pools of a {@link Database} ({@code db.pools()}): their configuration, metrics,
 * health and breakers, and the pools themselves. A process has the pools
 * of its {@link ProcessRole}; asking for another one fails with a {@link DatabaseException} that
 * names the role ({@link #config} excepted). Thread-safe.
 */
public interface PoolManager {

  /** The pools this process has, in the order main, worker, analytics. */
  Set<PoolName> names();

  /** A snapshot of one pool's metrics. */
  PoolMetrics metrics(PoolName pool);

  /** A snapshot of the metrics of every pool this process has, in the order main, worker, analytics. */
  Map<PoolName, PoolMetrics> metrics();

  /** Totals over every pool since start. */
  PerformanceMetrics performance();

  /**
   * The pool itself, for code that manages connections on its own. Prefer transactions: a connection taken here is not counted in
   * {@link Database#stats()}, not guarded by the circuit breaker, and must be closed by the caller.
   * While the database is unreachable, a new connection waits for the pool's probe to find it
   * again (up to the pool's timeout, as any checkout).
   */
  DataSource dataSource(PoolName pool);

  /** The state of the pool's circuit breaker. */
  BreakerState breakerState(PoolName pool);

  /** The settings of the pool, whether or not this process has it. */
  PoolConfig config(PoolName pool);

  /**
   * Changes the pool's maximum size at run time (through HikariCP's config MXBean).
   *
   * @throws IllegalArgumentException when {@code maxSize} is below the pool's {@code pool_size}
   */
  void resize(PoolName pool, int maxSize);
}
