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
    this(pool, message, cause, ErrorKind.POOL_EXHAUSTED);
  }

  /**
   * A failure of this pool with another kind: a thread that already holds every connection the
   * pool has can never get one more, which is a {@link ErrorKind#PROGRAMMING} error, not retryable.
   */
  public PoolExhaustedException(PoolName pool, String message, Throwable cause, ErrorKind kind) {
    super(message, cause, kind);
    this.pool = pool;
  }

  /** The pool that had no connection to lend. */
  public PoolName pool() {
    return pool;
  }
}
