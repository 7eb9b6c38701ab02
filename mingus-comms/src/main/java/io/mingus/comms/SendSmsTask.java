package io.mingus.comms;

import io.mingus.comms.internal.Delivery;

/**
 * Sends one queued SMS communication in three phases: checks the user's preferences and reserves
 * the send (status {@code sending}, counted against the daily limit) in a short transaction; calls
 * the {@link SmsProvider} with the communication id as idempotency key holding no connection; and
 * records the outcome, the engagement counters and last_sms_sent with the task's completion.
 * Provider timeouts and 5xx are retried; 4xx end the communication failed. Stateless and
 * thread-safe; obtained from {@link CommunicationService#tasks()}.
 */
public final class SendSmsTask extends SendTask {
  /** The task name stored with every SMS send task. */
  public static final String NAME = "comms.send-sms";

  SendSmsTask(Delivery delivery) {
    super(delivery);
  }

  @Override
  Channel channel() {
    return Channel.SMS;
  }

  @Override
  public String name() {
    return NAME;
  }
}
