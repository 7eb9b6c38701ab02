package io.mingus.tasks;

/** The root unchecked exception of mingus-tasks. */
public class TaskException extends RuntimeException {

  /** An exception with this message. */
  public TaskException(String message) {
    super(message);
  }

  /** An exception with this message and cause. */
  public TaskException(String message, Throwable cause) {
    super(message, cause);
  }
}
