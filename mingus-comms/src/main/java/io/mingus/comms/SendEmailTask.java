package io.mingus.comms;

import io.mingus.comms.internal.Delivery;

/**
 * Sends one queued email communication in three phases, as {@link SendSmsTask} does: reserve in a
 * short transaction, call the {@link EmailProvider} with the communication id as idempotency key
 * holding no connection, record the outcome, the engagement counters and last_email_sent with the
 * task's completion. Temporary failures are retried; permanent ones end the communication failed.
 * Stateless and thread-safe; obtained from {@link CommunicationService#tasks()}.
 */
public final class SendEmailTask extends SendTask {
  /** The task name stored with every email send task. */
  public static final String NAME = "comms.send-email";

  SendEmailTask(Delivery delivery) {
    super(delivery);
  }

  @Override
  Channel channel() {
    return Channel.EMAIL;
  }

  @Override
  public String name() {
    return NAME;
  }
}
