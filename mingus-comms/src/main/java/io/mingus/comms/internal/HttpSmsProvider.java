package io.mingus.comms.internal;

import io.mingus.comms.OutgoingSms;
import io.mingus.comms.SendResult;
import io.mingus.comms.SmsProvider;
import java.util.Map;

/** SMS through a Twilio-style REST API. */
public final class HttpSmsProvider implements SmsProvider {
  public static HttpSmsProvider fromEnvironment(Map<String, String> env) {
    throw new UnsupportedOperationException("not yet");
  }

  @Override
  public String name() {
    return "http-sms";
  }

  @Override
  public SendResult send(OutgoingSms sms) {
    throw new UnsupportedOperationException("not yet");
  }
}
