package io.mingus.db;

/**
 * What kind of failure a database error is, and so whether retrying the whole transaction can
 * help. See {@link DatabaseErrors#classify(Throwable)}.
 */
public enum ErrorKind {
  /** The database could not be reached or the connection broke (SQLState 08xxx, 57P01-03, I/O). */
  CONNECTION(true),
  /** A statement ran past its timeout (57014). */
  TIMEOUT(true),
  /** The pool had no connection to lend within its timeout. */
  POOL_EXHAUSTED(true),
  /** The database broke a deadlock by aborting this transaction (40P01). */
  DEADLOCK(true),
  /** A serializable transaction could not be ordered with a concurrent one (40001). */
  SERIALIZATION(true),
  /** A constraint was violated (23xxx): the data must change, not the timing. */
  INTEGRITY(false),
  /** A value does not fit its column or type (22xxx). */
  DATA(false),
  /** The SQL is wrong: syntax, unknown table or column, privileges (42xxx). */
  PROGRAMMING(false),
  /** The connection broke during COMMIT: the transaction may or may not have committed. */
  COMMIT_UNKNOWN(false),
  /** Anything else. */
  UNKNOWN(false);

  private final boolean retryable;

  ErrorKind(boolean retryable) {
    this.retryable = retryable;
  }

  /** Whether retrying the whole outermost transaction may succeed. */
  public boolean retryable() {
    return retryable;
  }
}
