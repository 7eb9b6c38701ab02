package io.mingus.db;

/**
 * The root of every exception Mingus's database layer throws. Subclasses exist only for
 * conditions a caller acts on: {@link PoolExhaustedException}, {@link
 * DatabaseUnavailableException}, {@link ConfigurationException}.
 *
 * <p>Use {@link DatabaseErrors#classify(Throwable)} to learn what kind of failure any throwable
 * is; this type only carries a kind where Mingus knows it better than the driver (a broken
 * commit is {@link ErrorKind#COMMIT_UNKNOWN}).
 */
public class DatabaseException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient ErrorKind kind;

  /**
   * An exception with a message, its cause and, when Mingus knows it, the kind of failure.
   *
   * @param kind the kind, or {@code null} to let {@link DatabaseErrors} classify the cause
   */
  public DatabaseException(String message, Throwable cause, ErrorKind kind) {
    super(message, cause);
    this.kind = kind;
  }

  /** An exception whose kind is that of its cause. */
  public DatabaseException(String message, Throwable cause) {
    this(message, cause, null);
  }

  /** The kind Mingus assigned, or {@code null} when the cause decides. */
  public ErrorKind kind() {
    return kind;
  }
}
