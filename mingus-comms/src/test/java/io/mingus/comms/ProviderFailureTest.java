package io.mingus.comms;

import static io.mingus.comms.SendTest.awaitFinal;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.mingus.comms.internal.HttpSmsProvider;
import io.mingus.db.TestEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The send task against the real HTTP SMS provider and a local Twilio-style server whose answer
 * depends on the recipient: +15550000500 fails twice with 503 then succeeds, +15550000400 is
 * refused with 400, +15550000503 always fails with 503.
 */
// also run through PgBouncer in transaction pooling: the pgbouncer execution of the module's pom
@org.junit.jupiter.api.Tag("pgbouncer")
class ProviderFailureTest {

  private static final class FakeApi implements AutoCloseable {
    final HttpServer server;
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    final List<String> keys = new CopyOnWriteArrayList<>();

    FakeApi() {
      try {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
      server.createContext("/", this::handle);
      server.start();
    }

    URI base() {
      return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/2010-04-01");
    }

    private void handle(HttpExchange ex) throws IOException {
      String form = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      String to = URLDecoder.decode(form.replaceAll(".*To=([^&]*).*", "$1"), StandardCharsets.UTF_8);
      int n = calls.computeIfAbsent(to, k -> new AtomicInteger()).incrementAndGet();
      keys.add(ex.getRequestHeaders().getFirst("Idempotency-Key"));
      int status;
      String body;
      if (to.equals("+15550000400")) {
        status = 400;
        body = "{\"code\":21610,\"message\":\"Attempt to send to unsubscribed recipient\",\"status\":400}";
      } else if (to.equals("+15550000503") || (to.equals("+15550000500") && n <= 2)) {
        status = 503;
        body = "{\"message\":\"Service Unavailable\"}";
      } else {
        status = 201;
        body = "{\"sid\":\"SM" + n + to.substring(1) + "\"}";
      }
      byte[] out = body.getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(status, out.length);
      ex.getResponseBody().write(out);
      ex.close();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_5xx_is_retried_until_sent_a_4xx_fails_with_the_reason_and_exhausted_retries_fail(TestEngine engine) {
    try (var api = new FakeApi();
        var f = new CommsFixture(engine, box -> new HttpSmsProvider(new HttpSmsProvider.Config(api.base(), "AC1",
            "token", "+15005550006", Duration.ofSeconds(2), Duration.ofSeconds(5))))) {
      long flaky = f.comms.createUser(new NewUser("flaky@example.com", "+15550000500", "UTC")).id();
      long refused = f.comms.createUser(new NewUser("refused@example.com", "+15550000400", "UTC")).id();
      long down = f.comms.createUser(new NewUser("down@example.com", "+15550000503", "UTC")).id();
      long a = f.comms.send(CommsFixture.sms(flaky, "retry me")).id();
      long b = f.comms.send(CommsFixture.sms(refused, "refuse me")).id();
      long c = f.comms.send(CommsFixture.sms(down, "never")).id();
      f.startWorker();

      Communication sent = awaitFinal(f, a);
      assertThat(sent.status()).isEqualTo(CommunicationStatus.SENT);
      assertThat(sent.provider()).isEqualTo("http-sms");
      assertThat(sent.providerMessageId()).isEqualTo("SM315550000500");
      assertThat(api.calls.get("+15550000500")).hasValue(3);
      assertThat(f.comms.engagement(flaky).smsCount()).isEqualTo(1);

      Communication failed = awaitFinal(f, b);
      assertThat(failed.status()).isEqualTo(CommunicationStatus.FAILED);
      assertThat(failed.error()).startsWith("provider refused: SMS API answered HTTP 400")
          .endsWith("Attempt to send to unsubscribed recipient (code 21610)");
      assertThat(api.calls.get("+15550000400")).hasValue(1);
      assertThat(f.comms.engagement(refused).totalCommunications()).isZero();

      Communication exhausted = awaitFinal(f, c);
      assertThat(exhausted.status()).isEqualTo(CommunicationStatus.FAILED);
      assertThat(exhausted.error()).startsWith("provider unavailable, attempts exhausted: SMS API answered HTTP 503");
      assertThat(api.calls.get("+15550000503")).hasValue(5);
      // Every call for one communication carried its id as the idempotency key.
      assertThat(api.keys).containsOnly(Long.toString(a), Long.toString(b), Long.toString(c));
    }
  }
}
