package io.mingus.comms.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import io.mingus.comms.OutgoingEmail;
import io.mingus.comms.ProviderException;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Against a real SMTP server (GreenMail) started on a free port. */
class SmtpEmailProviderTest {
  private GreenMail mail;
  private int port;

  @BeforeEach
  void start() throws IOException {
    port = freePort();
    mail = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    mail.setUser("mingus@example.com", "mingus", "s3cret-pass");
    mail.start();
  }

  @AfterEach
  void stop() {
    mail.stop();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private SmtpEmailProvider provider(String user, String password, int smtpPort) {
    return new SmtpEmailProvider(new SmtpEmailProvider.Config("127.0.0.1", smtpPort, user, password,
        "mingus@example.com", false, Duration.ofSeconds(5)));
  }

  @Test
  void an_email_arrives_with_its_subject_text_and_a_message_id_derived_from_the_idempotency_key()
      throws Exception {
    String body = "Bonjour Zoë; \"quotes\" and 'apostrophes'; SELECT * FROM users; 日本語";
    var result = provider("mingus", "s3cret-pass", port)
        .send(new OutgoingEmail(42, "42", "ada@example.com", "Votre rendez-vous", body));

    assertThat(mail.waitForIncomingEmail(5_000, 1)).isTrue();
    MimeMessage received = mail.getReceivedMessages()[0];
    assertThat(received.getSubject()).isEqualTo("Votre rendez-vous");
    assertThat(GreenMailUtil.getBody(received)).isNotBlank();
    assertThat(((String) received.getContent()).strip()).isEqualTo(body);
    assertThat(received.getAllRecipients()[0].toString()).isEqualTo("ada@example.com");
    assertThat(received.getMessageID()).isEqualTo(result.providerMessageId()).startsWith("<mingus-42-");
    assertThat(received.getHeader("X-Mingus-Communication-Id")).containsExactly("42");

    var again = provider("mingus", "s3cret-pass", port)
        .send(new OutgoingEmail(42, "42", "ada@example.com", "Votre rendez-vous", body));
    assertThat(again.providerMessageId()).isEqualTo(result.providerMessageId());
  }

  @Test
  void a_wrong_password_is_permanent_and_never_shown() {
    assertThatThrownBy(() -> provider("mingus", "wrong-pass", port)
        .send(new OutgoingEmail(1, "1", "ada@example.com", "s", "b")))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.retryable()).isFalse())
        .hasMessageContaining("refused the login")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("wrong-pass"));
  }

  @Test
  void an_unreachable_server_is_retryable() throws IOException {
    int closed = freePort();
    assertThatThrownBy(() -> provider(null, null, closed).send(new OutgoingEmail(1, "1", "ada@example.com", "s", "b")))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.retryable()).isTrue())
        .hasMessageContaining("127.0.0.1:" + closed);
  }
}
