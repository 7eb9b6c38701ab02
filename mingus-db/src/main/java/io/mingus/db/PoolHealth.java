package io.mingus.db;

import java.time.Duration;
import java.time.Instant;

/**
 * The health of one pool: a validation query within a timeout, its latency, the pool's
 * utilization and its circuit breaker's state, with the time it opened.
 *
 * @param pool which pool
 * @param status healthy, degraded or unhealthy
 * @param responseTime how long the validation query took (the timeout when it did not finish)
 * @param utilization checked-out connections over the pool's maximum
 * @param circuitBreaker the breaker's state
 * @param circuitOpenedAt when the breaker opened (it stays set while half-open), or {@code null}
 *     while it is closed
 * @param metrics the pool's metrics at the time of the check
 * @param error why it is not healthy, or {@code null}
 * @param replication the replication lag of the analytics pool's read replica, or {@code null}
 *     (another pool, no replica, or it could not be measured)
 */
public record PoolHealth(
    PoolName pool,
    HealthStatus status,
    Duration responseTime,
    double utilization,
    BreakerState circuitBreaker,
    Instant circuitOpenedAt,
    PoolMetrics metrics,
    String error,
    ReplicationLag replication) {}
