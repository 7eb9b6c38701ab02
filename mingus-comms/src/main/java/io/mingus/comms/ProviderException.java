package io.mingus.comms;

/**
 * A provider could not deliver a message. {@link #retryable()} for timeouts, connection failures and
 * 5xx answers (the send task is retried with backoff); permanent for 4xx answers (the communication
 * ends {@link CommunicationStatus#FAILED} with this message as its error).
 */
public final class ProviderException extends CommsException {
  private static final long serialVersionUID = 1L;

  private final boolean retryable;

  /** A failure, retryable or not. The message must not contain message bodies or credentials. */
  public ProviderException(String message, boolean retryable) {
    super(message);
    this.retryable = retryable;
  }

  /** A failure with its cause, retryable or not. */
  public ProviderException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  /** Whether trying again later may succeed: timeouts and 5xx; 4xx are permanent. */
  public boolean retryable() {
    return retryable;
  }
}
