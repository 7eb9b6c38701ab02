package io.mingus.db;

import java.util.Map;
import javax.sql.DataSource;

/**
 * The three named pools of a {@link Database} ({@code db.pools()}): the Java form of the guide's
 * {@code ConnectionPoolManager} and {@code PoolHealthChecker.get_pool_metrics}. Thread-safe.
 */
public interface PoolManager {

  /** A snapshot of one pool's metrics. */
  PoolMetrics metrics(PoolName pool);

  /** A snapshot of every pool's metrics, in the order main, worker, analytics. */
  Map<PoolName, PoolMetrics> metrics();

  /** Totals over every pool: the guide's {@code get_performance_metrics()}. */
  PerformanceMetrics performance();

  /**
   * The pool itself, for code that manages connections on its own (the guide's {@code
   * pool_context('analytics')}). Prefer transactions: a connection taken here is not counted in
   * {@link Database#stats()}, not guarded by the circuit breaker, and must be closed by the caller.
   */
  DataSource dataSource(PoolName pool);

  /** The state of the pool's circuit breaker: {@code closed}, {@code open} or {@code half_open}. */
  String breakerState(PoolName pool);

  /** The settings the pool was built with. */
  PoolConfig config(PoolName pool);

  /**
   * Changes the pool's maximum size at run time (through HikariCP's config MXBean).
   *
   * @throws IllegalArgumentException when {@code maxSize} is below the pool's {@code pool_size}
   */
  void resize(PoolName pool, int maxSize);
}
