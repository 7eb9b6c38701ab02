package io.mingus.comms;

import io.mingus.comms.internal.Delivery;

/**
 * Sends one queued SMS communication: checks the user's preferences, calls the {@link SmsProvider}
 * with the communication id as idempotency key, and records the outcome, the engagement counters
 * and last_sms_sent in the task's transaction. Provider timeouts and 5xx are retried; 4xx end the
 * communication failed. Stateless and thread-safe; obtained from {@link CommunicationService#tasks()}.
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
