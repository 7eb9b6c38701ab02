package io.mingus.db;

import java.time.Duration;

/**
 * A snapshot of one pool: its sizes, its connections in use and idle, its checkouts and failures.
 *
 * @param pool which pool
 * @param poolSize connections kept open once opened ({@code pool_size})
 * @param maxSize the most connections it may open (pool_size + max_overflow, or as resized)
 * @param checkedOut connections lent out now (active)
 * @param checkedIn connections idle in the pool now
 * @param pending callers waiting for a connection now
 * @param overflow open connections above {@code poolSize}
 * @param total open connections
 * @param connectionErrors failures to reach the database since start
 * @param timeouts callers that gave up waiting for a connection since start
 * @param checkouts connections lent since start
 * @param averageCheckout the mean time a caller waited for a connection
 * @param p99Checkout the 99th percentile of that wait over the last minutes
 */
public record PoolMetrics(
    PoolName pool,
    int poolSize,
    int maxSize,
    int checkedOut,
    int checkedIn,
    int pending,
    int overflow,
    int total,
    long connectionErrors,
    long timeouts,
    long checkouts,
    Duration averageCheckout,
    Duration p99Checkout) {

  /** checked-out connections over the most the pool may open, 0 to 1. */
  public double utilization() {
    return maxSize == 0 ? 0 : (double) checkedOut / maxSize;
  }
}
