package io.mingus.tasks;

import io.mingus.db.ErrorKind;

/**
 * Why an attempt failed, as recorded in the task's last error and told to {@link Task#onFailure}.
 * The database's kinds ({@link ErrorKind}) keep their names; the rest are the worker's own. Stored
 * by name in {@code last_error_kind}.
 */
public enum FailureKind {
  /** The database connection broke or could not be opened (retryable). */
  CONNECTION,
  /** A statement or the attempt itself ran past its timeout (retryable). */
  TIMEOUT,
  /** No pool connection was free in time (retryable). */
  POOL_EXHAUSTED,
  /** The database broke a deadlock by aborting this transaction (retryable). */
  DEADLOCK,
  /** A serialization conflict (retryable). */
  SERIALIZATION,
  /** A constraint was violated. */
  INTEGRITY,
  /** A value did not fit its column or type. */
  DATA,
  /** A statement is wrong (syntax, a missing table or column). */
  PROGRAMMING,
  /** The connection broke during COMMIT: the outcome is unknown. */
  COMMIT_UNKNOWN,
  /** A failure of no other kind. */
  UNKNOWN,
  /** A failure the task declared retryable ({@link Task#isRetryable}). */
  TASK,
  /** The task refused its input with an {@link IllegalArgumentException}. */
  VALIDATION,
  /** The stored payload cannot be read as the task's payload type. */
  PAYLOAD,
  /** The task's worker stopped heartbeating and another worker's rescuer put the task back or failed it. */
  RESCUED;

  /** The kind of a database error. */
  public static FailureKind of(ErrorKind kind) {
    return switch (kind) {
      case CONNECTION -> CONNECTION;
      case TIMEOUT -> TIMEOUT;
      case POOL_EXHAUSTED -> POOL_EXHAUSTED;
      case DEADLOCK -> DEADLOCK;
      case SERIALIZATION -> SERIALIZATION;
      case INTEGRITY -> INTEGRITY;
      case DATA -> DATA;
      case PROGRAMMING -> PROGRAMMING;
      case COMMIT_UNKNOWN -> COMMIT_UNKNOWN;
      case UNKNOWN -> UNKNOWN;
    };
  }

  /**
   * The kind stored as {@code name}, or {@code null} for {@code null}. A name this release does not
   * know (written by a newer one) reads as {@link #UNKNOWN}; the recorded message still says what
   * happened.
   */
  public static FailureKind ofStored(String name) {
    if (name == null) {
      return null;
    }
    for (FailureKind k : values()) {
      if (k.name().equals(name)) {
        return k;
      }
    }
    return UNKNOWN;
  }
}
