package io.mingus.comms.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.mingus.comms.OutgoingSms;
import io.mingus.comms.ProviderException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Against a local HTTP server standing in for a Twilio-style API. */
class HttpSmsProviderTest {
  private record Answer(int status, String body) {}

  private record Seen(String path, Map<String, String> form, String authorization, String idempotencyKey) {}

  private HttpServer server;
  private final AtomicReference<Answer> answer = new AtomicReference<>(new Answer(200, "{\"sid\":\"SM123\"}"));
  private final AtomicReference<Seen> seen = new AtomicReference<>();
  private final CountDownLatch release = new CountDownLatch(1);
  private volatile boolean hang;
  private HttpSmsProvider provider;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/2010-04-01/", this::handle);
    server.start();
    URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/2010-04-01");
    provider = new HttpSmsProvider(new HttpSmsProvider.Config(base, "AC42", "tok-secret", "+15005550006",
        Duration.ofSeconds(2), Duration.ofMillis(500)));
  }

  @AfterEach
  void stop() {
    release.countDown();
    server.stop(0);
  }

  private void handle(HttpExchange ex) throws IOException {
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    Map<String, String> form = new HashMap<>();
    for (String pair : body.split("&")) {
      String[] kv = pair.split("=", 2);
      form.put(kv[0], URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
    }
    seen.set(new Seen(ex.getRequestURI().getPath(), form, ex.getRequestHeaders().getFirst("Authorization"),
        ex.getRequestHeaders().getFirst("Idempotency-Key")));
    if (hang) {
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Answer a = answer.get();
    byte[] out = a.body().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(a.status(), out.length);
    ex.getResponseBody().write(out);
    ex.close();
  }

  private static OutgoingSms sms(String text) {
    return new OutgoingSms(42, "42", "+14155550100", text);
  }

  @Test
  void a_2xx_answer_gives_the_providers_sid_and_the_request_is_twilio_shaped() {
    String text = "Rendez-vous à 10h; \"bring\" the forms & the key=1";
    assertThat(provider.send(sms(text)).providerMessageId()).isEqualTo("SM123");

    Seen s = seen.get();
    assertThat(s.path()).isEqualTo("/2010-04-01/Accounts/AC42/Messages.json");
    assertThat(s.form()).containsEntry("To", "+14155550100").containsEntry("From", "+15005550006")
        .containsEntry("Body", text);
    assertThat(s.authorization()).isEqualTo("Basic "
        + Base64.getEncoder().encodeToString("AC42:tok-secret".getBytes(StandardCharsets.UTF_8)));
    assertThat(s.idempotencyKey()).isEqualTo("42");
  }

  @Test
  void a_5xx_answer_is_retryable() {
    answer.set(new Answer(503, "{\"message\":\"Service Unavailable\"}"));
    assertThatThrownBy(() -> provider.send(sms("hi")))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.retryable()).isTrue())
        .hasMessageContaining("HTTP 503");
  }

  @Test
  void a_4xx_answer_is_permanent_and_carries_the_providers_reason() {
    answer.set(new Answer(400, "{\"code\":21211,\"message\":\"The 'To' number is not a valid phone number.\","
        + "\"status\":400}"));
    assertThatThrownBy(() -> provider.send(sms("hi")))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.retryable()).isFalse())
        .hasMessageContaining("HTTP 400")
        .hasMessageContaining("The 'To' number is not a valid phone number. (code 21211)")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("tok-secret"));
  }

  @Test
  void too_many_requests_is_retryable() {
    answer.set(new Answer(429, "{\"message\":\"Too Many Requests\"}"));
    assertThatThrownBy(() -> provider.send(sms("hi")))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.retryable()).isTrue());
  }

  @Test
  void a_timeout_is_retryable() {
    hang = true;
    assertThatThrownBy(() -> provider.send(sms("hi")))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.retryable()).isTrue())
        .hasMessageContaining("did not answer within");
  }

  @Test
  void an_unreachable_api_is_retryable() {
    server.stop(0);
    assertThatThrownBy(() -> provider.send(sms("hi")))
        .isInstanceOfSatisfying(ProviderException.class, e -> assertThat(e.retryable()).isTrue())
        .hasMessageContaining("could not be reached");
  }

  @Test
  void a_missing_variable_is_named_and_the_token_never_shown() {
    assertThatThrownBy(() -> HttpSmsProvider.fromEnvironment(Map.of("SMS_API_URL", "https://api.example.com",
        "SMS_ACCOUNT_SID", "AC1", "SMS_FROM", "+15005550006")))
        .isInstanceOf(io.mingus.db.ConfigurationException.class)
        .hasMessageStartingWith("SMS_AUTH_TOKEN is not set (needed because SMS_API_URL is set)");
    assertThat(provider.toString()).contains("AC42").doesNotContain("tok-secret");
  }
}
