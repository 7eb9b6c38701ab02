package io.mingus.db;

/**
 * The circuit breaker of a pool is open: recent attempts could not reach the database, so this
 * one fails at once instead of waiting for a connection. The breaker lets a probe through after
 * its recovery timeout and closes again when the database answers.
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
