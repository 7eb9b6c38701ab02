package io.mingus.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.mingus.comms.CommunicationService;
import io.mingus.comms.Providers;
import io.mingus.db.DatabaseConfig;
import io.mingus.db.TestDb;
import io.mingus.db.TestEngine;
import io.mingus.tasks.Task;
import io.mingus.tasks.TaskQueue;
import io.mingus.tasks.Worker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A real Mingus server for one test: a test database (H2 or a PostgreSQL schema) with both modules
 * migrated, the communication service writing to an outbox file in a temporary directory, an
 * optional worker, and the app on a free port; plus an HTTP client to call it.
 */
final class Running implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  final TestDb testDb;
  final TaskQueue queue;
  final CommunicationService service;
  final Worker worker;
  final MingusApp app;
  final Path outbox;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Running(TestDb testDb, TaskQueue queue, CommunicationService service, Worker worker, MingusApp app,
      Path outbox) {
    this.testDb = testDb;
    this.queue = queue;
    this.service = service;
    this.worker = worker;
    this.app = app;
    this.outbox = outbox;
  }

  /** A server with workers, no admin token and no API keys. */
  static Running start(TestEngine engine, Path dir) {
    return start(engine, dir, ServerSettings.defaults(), true, UnaryOperator.identity());
  }

  static Running start(TestEngine engine, Path dir, ServerSettings settings, boolean workers,
      UnaryOperator<DatabaseConfig.Builder> tweak) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    TestDb testDb = TestDb.open(engine, tweak,
        b -> b.meterRegistry(registry).entities(CommunicationService.entities()));
    Worker worker = null;
    try {
      TaskQueue queue = TaskQueue.create(testDb.db());
      CommunicationService.migrate(testDb.db());
      testDb.db().sessionFactory();
      Path outbox = dir.resolve("outbox.jsonl");
      CommunicationService service = CommunicationService.create(testDb.db(), queue, Providers.outbox(outbox));
      if (workers) {
        worker = Worker.builder(testDb.db(), queue)
            .register(service.tasks().toArray(new Task<?>[0]))
            .queue(CommunicationService.QUEUE, 2)
            .pollInterval(Duration.ofMillis(100))
            .build();
        worker.start();
      }
      MingusApp app = MingusApp.create(testDb.db(), queue, service, settings.withPort(0)).start();
      return new Running(testDb, queue, service, worker, app, outbox);
    } catch (RuntimeException | Error e) {
      if (worker != null) {
        worker.close();
      }
      testDb.close();
      throw e;
    }
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + app.port() + path);
  }

  HttpResponse<String> get(String path, String... headers) {
    return send(HttpRequest.newBuilder(uri(path)).GET(), headers);
  }

  HttpResponse<String> post(String path, String body, String... headers) {
    return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)), headers);
  }

  HttpResponse<String> post(String path, JsonNode body) {
    return post(path, body.toString());
  }

  HttpResponse<String> put(String path, String body, String... headers) {
    return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)), headers);
  }

  HttpResponse<String> send(HttpRequest.Builder request, String... headers) {
    if (headers.length > 0) {
      request.headers(headers);
    }
    try {
      return http.send(request.timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static JsonNode json(HttpResponse<String> response) {
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON (" + response.statusCode() + "): " + response.body(), e);
    }
  }

  /** Creates a user through the API and returns its id. */
  long createUser(String email, String phone, String timezone) {
    HttpResponse<String> r = post("/api/users", JSON.createObjectNode().put("email", email).put("phone", phone)
        .put("timezone", timezone).toString());
    if (r.statusCode() != 201) {
      throw new AssertionError("creating a user answered " + r.statusCode() + ": " + r.body());
    }
    return json(r).get("id").asLong();
  }

  /** The rows of every table the API writes to, for before/after comparisons. */
  List<Long> rowCounts() {
    try (Connection c = testDb.rawConnection(); Statement st = c.createStatement()) {
      return List.of(count(st, "users"), count(st, "communication_preferences"), count(st, "communication_metrics"),
          count(st, "user_engagement_metrics"), count(st, "mingus_tasks"));
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long count(Statement st, String table) throws SQLException {
    try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The outbox's lines, parsed. */
  List<JsonNode> outboxLines() {
    try {
      if (!Files.exists(outbox)) {
        return List.of();
      }
      return Files.readAllLines(outbox, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank())
          .map(l -> {
            try {
              return JSON.readTree(l);
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          }).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      app.close();
    } finally {
      try {
        if (worker != null) {
          worker.close();
        }
      } finally {
        testDb.close();
      }
    }
  }
}
