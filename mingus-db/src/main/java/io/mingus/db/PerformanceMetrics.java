package io.mingus.db;

import java.time.Duration;

/**
 * Totals over every pool since start (or since the last {@link PoolOptimizer#reset()}).
 *
 * @param totalCheckouts connections lent
 * @param totalErrors connection failures plus acquire timeouts
 * @param totalTimeouts acquire timeouts
 * @param averageCheckoutTime the mean wait for a connection, weighted by checkouts
 * @param errorRate totalErrors over totalCheckouts (0 when nothing was lent)
 */
public record PerformanceMetrics(
    long totalCheckouts,
    long totalErrors,
    long totalTimeouts,
    Duration averageCheckoutTime,
    double errorRate) {}
