package io.mingus.server;

import io.mingus.db.ProcessRole;
import io.mingus.tasks.Worker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code mingus aot-train} (hidden): the training run of the JDK's AOT cache, which the build runs
 * as {@code java -XX:AOTCacheOutput=mingus.aot -jar mingus.jar aot-train}. It does what {@code
 * serve} does at start (migrate an H2 file database in a temporary folder, build Hibernate, start
 * a worker and the HTTP server) and what its first requests do (create a user, send an SMS and see
 * it sent, read health and the dashboard), then stops; the JVM then writes the classes it loaded
 * and linked, with their profiles, into the cache that {@code bin/mingus} hands to the next start.
 */
@Command(name = "aot-train", hidden = true, description = "The training run of the AOT cache (used by the build).")
final class AotTrainCommand implements Callable<Integer> {
  @ParentCommand
  MingusCommand parent;

  @Override
  public Integer call() throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("mingus-aot-train");
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", "jdbc:h2:file:" + dir.resolve("mingus").toAbsolutePath());
    env.put("MINGUS_OUTBOX", dir.resolve("outbox.jsonl").toString());
    try (Services services = Services.open(env, ProcessRole.ALL, true)) {
      Worker worker = Workers.start(services, List.of("comms", "default"), 2);
      try (MingusApp app = MingusApp.create(services.db(), services.queue(), services.service(),
          new ServerSettings("127.0.0.1", 0, null, List.of(), ServerSettings.DEFAULT_MAX_BODY_BYTES,
              Duration.ofSeconds(5))).start()) {
        services.started();
        exercise("http://127.0.0.1:" + app.port());
      } finally {
        worker.close();
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    parent.spec.commandLine().getOut().println("mingus aot-train: done");
    return Cli.OK;
  }

  private static void exercise(String base) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    call(http, base, "GET", "/health/ready", null);
    call(http, base, "POST", "/api/users",
        "{\"email\": \"aot@example.com\", \"phone\": \"+14155550100\", \"timezone\": \"UTC\"}");
    call(http, base, "POST", "/api/communications",
        "{\"user_id\": 1, \"channel\": \"sms\", \"message\": \"training\", \"message_type\": \"otp\"}");
    Instant deadline = Instant.now().plusSeconds(30);
    while (!call(http, base, "GET", "/api/communications/1", null).contains("\"sent\"")) {
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException("the training SMS was not sent within 30 s");
      }
      Thread.sleep(Duration.ofMillis(50));
    }
    for (String path : List.of("/health/database", "/metrics/database", "/dashboard/database", "/admin/tasks",
        "/dashboard", "/dashboard/live", "/api/users/1/engagement", "/api/users/99", "/metrics")) {
      call(http, base, "GET", path, null);
    }
    call(http, base, "POST", "/api/communications", "{\"user_id\": 1, \"channel\": \"fax\"}");
  }

  private static String call(HttpClient http, String base, String method, String path, String json)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path));
    if (json != null) {
      request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException e) {
      throw new UncheckedIOException("the training request " + method + " " + path + " failed", e);
    }
  }
}
