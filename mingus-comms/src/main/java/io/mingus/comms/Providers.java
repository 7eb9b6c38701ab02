package io.mingus.comms;

import io.mingus.comms.internal.HttpSmsProvider;
import io.mingus.comms.internal.OutboxProvider;
import io.mingus.comms.internal.SmtpEmailProvider;
import io.mingus.db.ConfigurationException;
import io.mingus.db.Environment;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * The providers the send tasks deliver through: one for SMS, one for email. Both must be
 * thread-safe.
 *
 * @param sms delivers SMS
 * @param email delivers email
 */
public record Providers(SmsProvider sms, EmailProvider email) {

  /** The default outbox file, relative to the working directory. */
  public static final Path DEFAULT_OUTBOX = Path.of("data", "outbox.jsonl");

  /** Both providers are required. */
  public Providers {
    Objects.requireNonNull(sms, "sms");
    Objects.requireNonNull(email, "email");
  }

  /**
   * The providers the environment asks for. {@code SMTP_HOST} set: the SMTP email provider
   * ({@code SMTP_PORT} default 587, {@code SMTP_USER}, {@code SMTP_PASSWORD}, {@code SMTP_FROM},
   * {@code SMTP_STARTTLS} default true). {@code SMS_API_URL} set: the HTTP SMS provider for a
   * Twilio-style API ({@code SMS_ACCOUNT_SID}, {@code SMS_AUTH_TOKEN}, {@code SMS_FROM} required).
   * Otherwise the outbox provider, which writes JSON lines to {@code ./data/outbox.jsonl} (or
   * {@code MINGUS_OUTBOX}) and sends nothing real.
   *
   * @throws ConfigurationException with one line naming the variable when a value is missing or
   *     malformed (the {@code mingus} command prints it and exits 2)
   */
  public static Providers fromEnvironment(Map<String, String> env) {
    Objects.requireNonNull(env, "env");
    String outboxPath = Environment.of(env).text("MINGUS_OUTBOX");
    Path outbox;
    try {
      outbox = outboxPath == null ? DEFAULT_OUTBOX : Path.of(outboxPath);
    } catch (InvalidPathException e) {
      throw Environment.bad("MINGUS_OUTBOX", outboxPath, "a file path");
    }
    OutboxProvider fallback = null;
    SmsProvider sms;
    EmailProvider email;
    if (isSet(env, "SMS_API_URL")) {
      sms = HttpSmsProvider.fromEnvironment(env);
    } else {
      fallback = new OutboxProvider(outbox);
      sms = fallback;
    }
    if (isSet(env, "SMTP_HOST")) {
      email = SmtpEmailProvider.fromEnvironment(env);
    } else {
      email = fallback != null ? fallback : new OutboxProvider(outbox);
    }
    return new Providers(sms, email);
  }

  /** The outbox provider for both channels, appending JSON lines to {@code file}. */
  public static Providers outbox(Path file) {
    OutboxProvider p = new OutboxProvider(file);
    return new Providers(p, p);
  }

  private static boolean isSet(Map<String, String> env, String name) {
    return Environment.of(env).isSet(name);
  }
}
