package io.mingus.comms;

/** The root unchecked exception of the communication service. */
public class CommsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** An exception with a message. */
  public CommsException(String message) {
    super(message);
  }

  /** An exception with a message and its cause. */
  public CommsException(String message, Throwable cause) {
    super(message, cause);
  }
}
