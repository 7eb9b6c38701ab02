package io.mingus.comms.internal;

import io.mingus.comms.EmailProvider;
import io.mingus.comms.OutgoingEmail;
import io.mingus.comms.OutgoingSms;
import io.mingus.comms.SendResult;
import io.mingus.comms.SmsProvider;
import java.nio.file.Path;

/** Writes every message to an outbox file. */
public final class OutboxProvider implements SmsProvider, EmailProvider {
  private final Path file;

  public OutboxProvider(Path file) {
    this.file = file;
  }

  @Override
  public String name() {
    return "outbox";
  }

  @Override
  public SendResult send(OutgoingSms sms) {
    throw new UnsupportedOperationException("not yet " + file);
  }

  @Override
  public SendResult send(OutgoingEmail email) {
    throw new UnsupportedOperationException("not yet");
  }
}
