package io.mingus.db;

/**
 * The circuit breaker of a pool is open: recent attempts could not open a connection to the
 * database, so this one fails at once instead of waiting for a connection. While it is open the
 * pool probes the database with a fresh connection at growing intervals (capped by {@code
 * DB_CIRCUIT_RECOVERY_TIMEOUT}) and the breaker closes as soon as one succeeds: retry later.
 */
public final class DatabaseUnavailableException extends DatabaseException {
  private static final long serialVersionUID = 1L;

  private final transient PoolName pool;

  /** An unavailable failure for this pool. */
  public DatabaseUnavailableException(PoolName pool, String message, Throwable cause) {
    super(message, cause, ErrorKind.CONNECTION);
    this.pool = pool;
  }

  /** The pool whose breaker is open. */
  public PoolName pool() {
    return pool;
  }
}
