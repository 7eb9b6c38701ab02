package io.mingus.tasks.internal;

import io.mingus.db.DatabaseError;
import io.mingus.db.DatabaseErrors;
import io.mingus.db.ErrorKind;
import io.mingus.tasks.FailureKind;
import io.mingus.tasks.Task;
import io.mingus.tasks.TaskException;
import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * How one failed attempt is recorded and whether it is retried.
 *
 * @param kind why it failed
 * @param retryable whether the task is re-queued (while attempts remain)
 * @param message the exception's class and message, at most 2,000 characters
 * @param stack the stack trace, at most {@value #MAX_STACK} characters
 */
public record TaskFailure(FailureKind kind, boolean retryable, String message, String stack) {
  static final int MAX_MESSAGE = 2000;
  static final int MAX_STACK = 4000;

  /** Thrown inside a task's transaction when its payload cannot be read. */
  public static final class PayloadException extends TaskException {
    PayloadException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Thrown inside a task's transaction when its attempt ran past its timeout. */
  public static final class TimeoutException extends TaskException {
    TimeoutException(String message) {
      super(message);
    }
  }

  /** How {@code failure} of an attempt of {@code task} (null when not registered) is recorded. */
  public static TaskFailure of(Throwable failure, Task<?> task, boolean timedOut) {
    String message = trim(failure.getClass().getName() + ": " + failure.getMessage(), MAX_MESSAGE);
    String stack = trim(stackOf(failure), MAX_STACK);
    if (timedOut || failure instanceof TimeoutException) {
      return new TaskFailure(FailureKind.TIMEOUT, true, message, stack);
    }
    if (failure instanceof PayloadException) {
      return new TaskFailure(FailureKind.PAYLOAD, false, message, stack);
    }
    DatabaseError db = DatabaseErrors.classify(failure);
    boolean declared = task != null && safeIsRetryable(task, failure);
    if (db.kind() != ErrorKind.UNKNOWN) {
      return new TaskFailure(FailureKind.of(db.kind()), db.retryable() || declared, message, stack);
    }
    if (declared) {
      return new TaskFailure(FailureKind.TASK, true, message, stack);
    }
    if (failure instanceof IllegalArgumentException) {
      return new TaskFailure(FailureKind.VALIDATION, false, message, stack);
    }
    return new TaskFailure(FailureKind.UNKNOWN, false, message, stack);
  }

  private static boolean safeIsRetryable(Task<?> task, Throwable failure) {
    try {
      return task.isRetryable(failure);
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
      return false;
    }
  }

  private static String stackOf(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return w.toString();
  }

  static String trim(String s, int max) {
    if (s == null || s.length() <= max) {
      return s;
    }
    return s.substring(0, max - 15) + "... (trimmed)";
  }
}
