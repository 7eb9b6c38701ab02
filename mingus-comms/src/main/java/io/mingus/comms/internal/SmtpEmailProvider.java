package io.mingus.comms.internal;

import io.mingus.comms.EmailProvider;
import io.mingus.comms.OutgoingEmail;
import io.mingus.comms.SendResult;
import java.util.Map;

/** Email through SMTP. */
public final class SmtpEmailProvider implements EmailProvider {
  public static SmtpEmailProvider fromEnvironment(Map<String, String> env) {
    throw new UnsupportedOperationException("not yet");
  }

  @Override
  public String name() {
    return "smtp";
  }

  @Override
  public SendResult send(OutgoingEmail email) {
    throw new UnsupportedOperationException("not yet");
  }
}
