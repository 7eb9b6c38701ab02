package io.mingus.comms;

/**
 * Delivers SMS. Implementations are thread-safe: the send tasks call them concurrently.
 */
public interface SmsProvider {
  /** The name recorded in communication_metrics.provider, such as {@code "twilio"}. */
  String name();

  /**
   * Delivers one SMS, or fails.
   *
   * @throws ProviderException retryable for timeouts and 5xx, permanent for 4xx
   */
  SendResult send(OutgoingSms sms) throws ProviderException;
}
