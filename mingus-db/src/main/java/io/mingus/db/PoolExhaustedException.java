package io.mingus.db;

/**
 * A pool could not lend a connection: every connection was in use for the whole of {@code
 * POOL_TIMEOUT}, or the calling thread already holds connections of that pool and waiting would
 * deadlock. Its kind is {@link ErrorKind#POOL_EXHAUSTED}, which is retryable.
 */
public final class PoolExhaustedException extends DatabaseException {
  private static final long serialVersionUID = 1L;

  private final transient PoolName pool;

  /** A pool-exhausted failure of this pool. */
  public PoolExhaustedException(PoolName pool, String message, Throwable cause) {
    super(message, cause, ErrorKind.POOL_EXHAUSTED);
    this.pool = pool;
  }

  /** The pool that had no connection to lend. */
  public PoolName pool() {
    return pool;
  }
}
