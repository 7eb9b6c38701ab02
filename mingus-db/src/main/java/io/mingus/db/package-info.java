/**
 * The database session layer of Mingus: configuration from the environment, the three named
 * connection pools ({@link io.mingus.db.PoolName#MAIN main}, {@link io.mingus.db.PoolName#WORKER
 * worker}, {@link io.mingus.db.PoolName#ANALYTICS analytics}), transactions with propagation,
 * error classification, retry, circuit breakers, statistics, health and pool metrics.
 *
 * <p>Start at {@link io.mingus.db.Database}: one per process, built from a {@link
 * io.mingus.db.DatabaseConfig}. Everything a caller names lives in this package; the
 * implementation is in {@code io.mingus.db.internal} and is not API.
 */
package io.mingus.db;
