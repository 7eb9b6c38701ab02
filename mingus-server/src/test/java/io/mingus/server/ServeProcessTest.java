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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mingus serve} as a process of its own, as a user starts it: on an embedded H2 file,
 * HTTP on a free port, a communication sent by its embedded workers, and SIGTERM stopping it
 * gracefully.
 */
class ServeProcessTest {

  @TempDir
  Path dir;

  @Test
  void serve_runs_the_walkthrough_and_stops_gracefully_on_sigterm() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    // the service's own logging, not the tests' logback-test.xml, which is on this class path too
    ProcessBuilder pb = new ProcessBuilder(java, "-Dmingus.log.own=true", "-cp",
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
      await().atMost(Duration.ofSeconds(60)).until(() -> ProcessOutput.port(output) > 0 || !process.isAlive());
      assertThat(process.isAlive()).as(String.join("\n", output)).isTrue();
      String base = "http://127.0.0.1:" + ProcessOutput.port(output);
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
      // issue 9: no INFO line per message by default (a counter and DEBUG instead)
      assertThat(output).noneMatch(l -> l.contains("communication 1 sent"));
    } finally {
      process.destroyForcibly();
    }
  }

  @Test
  void result_commands_print_only_the_result_and_json_logs_are_json_lines() throws Exception {
    Done migrate = run(Map.of(), "migrate");
    assertThat(migrate.code()).as(migrate.err()).isZero();
    assertThat(migrate.out()).startsWith("mingus migrate: the database is up to date");
    assertThat(migrate.err()).isEmpty();

    Done list = run(Map.of(), "tasks", "list");
    assertThat(list.code()).as(list.err()).isZero();
    assertThat(list.out().lines().toList()).singleElement().satisfies(l -> assertThat(l).startsWith("ID "));
    assertThat(list.err()).as("stderr at WARN").isEmpty();

    Done verbose = run(Map.of("MINGUS_LOG_FORMAT", "json"), "tasks", "list", "--verbose");
    assertThat(verbose.code()).as(verbose.err()).isZero();
    assertThat(verbose.out().lines().toList()).singleElement().satisfies(l -> assertThat(l).startsWith("ID "));
    List<String> lines = verbose.err().lines().toList();
    assertThat(lines).isNotEmpty().allSatisfy(l -> {
      var json = Running.JSON.readTree(l);
      assertThat(json.has("level")).as(l).isTrue();
      assertThat(json.has("loggerName")).as(l).isTrue();
    });
    assertThat(lines).anyMatch(l -> l.contains("database ready"));

    Done bad = run(Map.of("MINGUS_LOG_FORMAT", "xml"), "tasks", "list");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err().lines().toList()).singleElement()
        .satisfies(l -> assertThat(l).contains("MINGUS_LOG_FORMAT=xml").contains("text or json"));
  }

  record Done(int code, String out, String err) {}

  /** Runs one mingus command as a process on this test's H2 file, to its end. */
  private Done run(Map<String, String> extraEnv, String... args) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(List.of(java, "-Dmingus.log.own=true", "-cp",
        System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("MINGUS_") || k.startsWith("DATABASE_") || k.contains("DB_"));
    env.put("DATABASE_URL", "jdbc:h2:file:" + dir.resolve("cli").toAbsolutePath());
    env.putAll(extraEnv);
    Process process = pb.start();
    assertThat(process.waitFor(180, TimeUnit.SECONDS)).as("the command ended within 180 s").isTrue();
    return new Done(process.exitValue(), Files.readString(dir.resolve("out.txt")),
        Files.readString(dir.resolve("err.txt")));
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
