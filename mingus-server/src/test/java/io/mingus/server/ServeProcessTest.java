package io.mingus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mingus serve} as a process of its own, as a user starts it: on an embedded H2 file,
 * HTTP on a free port, a communication sent by its embedded workers, and SIGTERM stopping it
 * gracefully.
 */
class ServeProcessTest {
  private static final Pattern LISTENING = Pattern.compile("HTTP server listening on [^:]+:(\\d+)");

  @TempDir
  Path dir;

  @Test
  void serve_runs_the_walkthrough_and_stops_gracefully_on_sigterm() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    // the service's own logging, not the tests' logback-test.xml, which is on this class path too
    ProcessBuilder pb = new ProcessBuilder(java, "-Dlogback.configurationFile=logback.xml", "-cp",
        System.getProperty("java.class.path"), Main.class.getName(),
        "serve", "--port", "0").redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("MINGUS_") || k.startsWith("DATABASE_") || k.contains("DB_"));
    env.put("DATABASE_URL", "jdbc:h2:file:" + dir.resolve("mingus").toAbsolutePath());
    env.put("MINGUS_OUTBOX", dir.resolve("outbox.jsonl").toString());
    Process process = pb.start();
    List<String> output = new CopyOnWriteArrayList<>();
    Thread.ofVirtual().start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          output.add(line);
        }
      } catch (IOException e) {
        output.add("(output ended: " + e + ")");
      }
    });
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> port(output) > 0 || !process.isAlive());
      assertThat(process.isAlive()).as(String.join("\n", output)).isTrue();
      String base = "http://127.0.0.1:" + port(output);
      HttpClient http = HttpClient.newHttpClient();

      assertThat(post(http, base + "/api/users",
          "{\"email\": \"ada@example.com\", \"phone\": \"+14155550123\", \"timezone\": \"Europe/London\"}"))
          .startsWith("201 ");
      assertThat(post(http, base + "/api/communications",
          "{\"user_id\": 1, \"channel\": \"sms\", \"message\": \"Your code is 1234\", \"message_type\": \"otp\"}"))
          .startsWith("202 ").contains("\"status\":\"queued\"");
      await().atMost(Duration.ofSeconds(30)).until(() -> get(http, base + "/api/communications/1"),
          body -> body.contains("\"status\":\"sent\""));
      assertThat(get(http, base + "/health/database")).startsWith("200 ");

      process.toHandle().destroy(); // SIGTERM; Process.destroy() would also close the output pipe
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(String.join("\n", output)).isTrue();
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(output).as(String.join("\n", output))
          .anyMatch(l -> l.contains("mingus serve: stopped")));
      assertThat(output).anyMatch(l -> l.contains("Worker") && l.contains("stopped"))
          .noneMatch(l -> l.contains(" ERROR "));
    } finally {
      process.destroyForcibly();
    }
  }

  private static int port(List<String> output) {
    for (String line : output) {
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
    }
    return 0;
  }

  private static String post(HttpClient http, String url, String json) {
    return send(http, HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  private static String get(HttpClient http, String url) {
    return send(http, HttpRequest.newBuilder(URI.create(url)).GET().build());
  }

  /** The status code, a space and the body. */
  private static String send(HttpClient http, HttpRequest request) {
    try {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      return r.statusCode() + " " + r.body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
