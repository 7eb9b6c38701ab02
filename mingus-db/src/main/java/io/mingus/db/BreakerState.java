package io.mingus.db;

import java.util.Locale;

/**
 * The state of a pool's circuit breaker ({@link PoolManager#breakerState}).
 *
 * <p>A breaker opens after {@code DB_CIRCUIT_FAILURE_THRESHOLD} failures in a row to open a new
 * connection; while it is open, transactions on the pool fail at once with {@link
 * DatabaseUnavailableException}, and the pool probes the database with a fresh physical connection
 * (first after 0.25 s, then at growing intervals capped by {@code DB_CIRCUIT_RECOVERY_TIMEOUT});
 * the first probe that succeeds closes it.
 */
public enum BreakerState {
  /** Transactions pass; failures to connect are counted. */
  CLOSED,
  /** Transactions are refused at once; probes look for the database. */
  OPEN,
  /**
   * {@code DB_CIRCUIT_RECOVERY_TIMEOUT} has passed since it opened with no probe succeeding: the
   * next transaction is let through as a trial, and its outcome closes or reopens the breaker.
   */
  HALF_OPEN;

  /** The lower-case name used in JSON documents and metrics: {@code closed}, {@code open}, {@code half_open}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
