package io.mingus.comms.internal;

import io.mingus.comms.EmailProvider;
import io.mingus.comms.OutgoingEmail;
import io.mingus.comms.ProviderException;
import io.mingus.comms.SendResult;
import io.mingus.db.ConfigurationException;
import io.mingus.db.Environment;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;

/**
 * Email over SMTP with Jakarta Mail (Eclipse Angus). Each message carries a Message-ID derived
 * from the idempotency key (the communication id: {@code <mingus-42-<name-UUID>@sender-domain>}),
 * so a message sent twice by a retried task has the same Message-ID and receivers that dedupe on it
 * drop the copy.
 *
 * <p>Outcomes: connection failures, timeouts and SMTP 4xx replies are retryable; 5xx replies,
 * refused addresses and authentication failures are permanent. The password never appears in
 * messages, logs or {@link #toString()}. Thread-safe: a Jakarta Mail {@link Session} is shared and
 * each send opens its own transport.
 */
public final class SmtpEmailProvider implements EmailProvider {

  /**
   * The provider's settings.
   *
   * @param host the SMTP server
   * @param port its port (587 submission with STARTTLS, 25, 465...)
   * @param user the login, or {@code null} for none
   * @param password the password, or {@code null}
   * @param from the sender address
   * @param startTls whether to require STARTTLS
   * @param timeout connect, read and write timeout
   */
  public record Config(String host, int port, String user, String password, String from, boolean startTls,
      Duration timeout) {
    /** Refuses missing or malformed values. */
    public Config {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(timeout, "timeout");
      if (port < 1 || port > 65_535) {
        throw new IllegalArgumentException("SMTP port must be 1-65535, was " + port);
      }
    }

    @Override
    public String toString() {
      return "SmtpEmailProvider.Config[host=" + host + ", port=" + port + ", user=" + user + ", password="
          + (password == null ? "(none)" : "****") + ", from=" + from + ", startTls=" + startTls + ", timeout="
          + timeout + "]";
    }
  }

  private final Config config;
  private final Session session;
  private final InternetAddress from;

  /** A provider with these settings. */
  public SmtpEmailProvider(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    try {
      this.from = new InternetAddress(config.from(), true);
    } catch (AddressException e) {
      throw new IllegalArgumentException("SMTP_FROM='" + config.from() + "' is not an email address", e);
    }
    Properties p = new Properties();
    String millis = Long.toString(config.timeout().toMillis());
    p.put("mail.smtp.host", config.host());
    p.put("mail.smtp.port", Integer.toString(config.port()));
    p.put("mail.smtp.auth", Boolean.toString(config.user() != null));
    p.put("mail.smtp.starttls.enable", Boolean.toString(config.startTls()));
    p.put("mail.smtp.starttls.required", Boolean.toString(config.startTls()));
    p.put("mail.smtp.connectiontimeout", millis);
    p.put("mail.smtp.timeout", millis);
    p.put("mail.smtp.writetimeout", millis);
    this.session = Session.getInstance(p);
  }

  /**
   * The provider from {@code SMTP_HOST} (required), {@code SMTP_PORT} (default 587), {@code
   * SMTP_USER} and {@code SMTP_PASSWORD} (optional), {@code SMTP_FROM} (required), {@code
   * SMTP_STARTTLS} (default true) and {@code SMTP_TIMEOUT_SECONDS} (default 10).
   *
   * @throws ConfigurationException with one line naming the variable that is missing or malformed
   */
  public static SmtpEmailProvider fromEnvironment(Map<String, String> variables) {
    Environment env = Environment.of(variables);
    String because = "SMTP_HOST is set";
    String from = env.required("SMTP_FROM", "the sender address, such as mingus@example.com", because);
    try {
      new InternetAddress(from, true);
    } catch (AddressException e) {
      throw Environment.bad("SMTP_FROM", from, "an email address such as mingus@example.com");
    }
    return new SmtpEmailProvider(new Config(
        env.required("SMTP_HOST", "the SMTP server's host name", null),
        env.integer("SMTP_PORT", 587, 1, 65_535),
        env.text("SMTP_USER"),
        env.text("SMTP_PASSWORD"),
        from,
        env.bool("SMTP_STARTTLS", true),
        Duration.ofSeconds(env.integer("SMTP_TIMEOUT_SECONDS", 10, 1, 300))));
  }

  @Override
  public String name() {
    return "smtp";
  }

  @Override
  public SendResult send(OutgoingEmail email) {
    String messageId = "<mingus-" + email.communicationId() + "-"
        + UUID.nameUUIDFromBytes(email.idempotencyKey().getBytes(StandardCharsets.UTF_8)) + "@" + domain() + ">";
    try {
      MimeMessage message = new FixedIdMessage(session, messageId);
      message.setFrom(from);
      message.setRecipients(Message.RecipientType.TO, InternetAddress.parse(email.to(), true));
      message.setSubject(email.subject(), "UTF-8");
      message.setText(email.body(), "UTF-8");
      message.setHeader("X-Mingus-Communication-Id", Long.toString(email.communicationId()));
      if (config.user() != null) {
        Transport.send(message, config.user(), config.password());
      } else {
        Transport.send(message);
      }
      return new SendResult(messageId);
    } catch (MessagingException e) {
      throw failure(e, email.communicationId());
    }
  }

  private ProviderException failure(MessagingException e, long communicationId) {
    String where = "SMTP server " + config.host() + ":" + config.port() + " for communication " + communicationId;
    int code = switch (e) {
      case SMTPAddressFailedException a -> a.getReturnCode();
      case SMTPSenderFailedException s -> s.getReturnCode();
      case SMTPSendFailedException s -> s.getReturnCode();
      default -> nested(e);
    };
    if (e instanceof AuthenticationFailedException) {
      return new ProviderException(where + " refused the login of SMTP_USER=" + config.user()
          + "; check SMTP_USER and SMTP_PASSWORD", false, e);
    }
    if (code >= 500) {
      return new ProviderException(where + " refused the message: " + e.getMessage().strip(), false, e);
    }
    if (e instanceof AddressException || (e instanceof SendFailedException && code < 0)) {
      return new ProviderException(where + ": bad address: " + e.getMessage(), false, e);
    }
    return new ProviderException(where + " failed" + (code > 0 ? " with " + code : "") + " (will retry): "
        + e.getMessage(), true, e);
  }

  private static int nested(MessagingException e) {
    return e.getNextException() instanceof MessagingException m && m != e
        ? switch (m) {
            case SMTPAddressFailedException a -> a.getReturnCode();
            case SMTPSenderFailedException s -> s.getReturnCode();
            case SMTPSendFailedException s -> s.getReturnCode();
            default -> -1;
          }
        : -1;
  }

  private String domain() {
    String address = from.getAddress();
    int at = address.lastIndexOf('@');
    return at < 0 ? "mingus.local" : address.substring(at + 1);
  }

  @Override
  public String toString() {
    return "SmtpEmailProvider[" + config + "]";
  }

  /** A message whose Message-ID is ours (Jakarta Mail would otherwise generate a random one on send). */
  private static final class FixedIdMessage extends MimeMessage {
    private final String id;

    FixedIdMessage(Session session, String id) {
      super(session);
      this.id = id;
    }

    @Override
    protected void updateMessageID() throws MessagingException {
      setHeader("Message-ID", id);
    }
  }
}
