package io.mingus.comms;

/**
 * Delivers email. Implementations are thread-safe: the send tasks call them concurrently.
 */
public interface EmailProvider {
  /** The name recorded in communication_metrics.provider, such as {@code "smtp"}. */
  String name();

  /**
   * Delivers one email, or fails.
   *
   * @throws ProviderException retryable for timeouts and temporary failures, permanent otherwise
   */
  SendResult send(OutgoingEmail email) throws ProviderException;
}
