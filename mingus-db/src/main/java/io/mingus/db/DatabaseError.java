package io.mingus.db;

/**
 * The classification of one failure: its kind, whether a retry may help, the SQLState that
 * decided it (if any) and the message of the exception that carried it.
 *
 * @param kind what kind of failure this is
 * @param retryable whether retrying the whole outermost transaction may succeed
 * @param sqlState the SQLState found in the cause chain, or {@code null}
 * @param message the message of the most telling exception in the chain
 */
public record DatabaseError(ErrorKind kind, boolean retryable, String sqlState, String message) {

  /** A classification whose retryability is that of its kind. */
  public static DatabaseError of(ErrorKind kind, String sqlState, String message) {
    return new DatabaseError(kind, kind.retryable(), sqlState, message);
  }
}
