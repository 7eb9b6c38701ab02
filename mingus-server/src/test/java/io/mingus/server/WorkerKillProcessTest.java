package io.mingus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.mingus.db.TestDb;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10 end to end, on PostgreSQL: {@code mingus serve} (no embedded workers) and two {@code
 * mingus worker} processes, each with an outbox file of its own; a backlog of SMS; one worker killed
 * with SIGKILL mid-drain. Every communication ends {@code sent} exactly once in the database, its
 * user's engagement counts it once, and it is in an outbox, repeated only under its own
 * idempotency key (an at-least-once provider call, deduplicated by the key).
 */
class WorkerKillProcessTest {
  private static final int USERS = 100;
  private static final int PER_USER = 8;
  private static final int TOTAL = USERS * PER_USER;

  @TempDir
  Path dir;

  private final List<Process> processes = new ArrayList<>();
  private final Map<Process, List<String>> outputs = new HashMap<>();
  private String schema;

  @Test
  void a_worker_killed_with_sigkill_mid_drain_leaves_every_communication_sent_exactly_once() throws Exception {
    TestDb.requirePostgres();
    schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
    sql("CREATE SCHEMA " + schema);
    try {
      long t0 = System.nanoTime();
      // all three at once: Flyway serializes their migrations
      Process serve = start("serve", dir.resolve("outbox-serve.jsonl"), "serve", "--port", "0", "--no-workers");
      Process a = start("worker-a", dir.resolve("outbox-a.jsonl"), "worker", "--concurrency", "8");
      Process b = start("worker-b", dir.resolve("outbox-b.jsonl"), "worker", "--concurrency", "8");
      await().atMost(Duration.ofSeconds(90)).until(() -> ProcessOutput.port(outputs.get(serve)) > 0 || !serve.isAlive());
      assertThat(serve.isAlive()).as(log(serve)).isTrue();
      String base = "http://127.0.0.1:" + ProcessOutput.port(outputs.get(serve));
      HttpClient http = HttpClient.newHttpClient();
      createUsers(http, base);
      // both workers up, and their liveness registered with their sessions, before the backlog comes
      await().atMost(Duration.ofSeconds(90)).until(() -> count("SELECT COUNT(*) FROM mingus_task_workers") == 2
          || !a.isAlive() || !b.isAlive());
      assertThat(a.isAlive()).as(log(a)).isTrue();
      assertThat(b.isAlive()).as(log(b)).isTrue();

      for (int batch = 0; batch < PER_USER; batch++) {
        StringBuilder body = new StringBuilder("{\"communications\": [");
        for (int u = 1; u <= USERS; u++) {
          body.append(u > 1 ? "," : "").append("{\"user_id\": ").append(u)
              .append(", \"channel\": \"sms\", \"message\": \"code ").append(batch).append("\", \"message_type\": \"otp\"}");
        }
        assertThat(post(http, base + "/api/communications/batch", body.append("]}").toString())).startsWith("202 ");
      }
      long started = (System.nanoTime() - t0) / 1_000_000;
      String workerA = "%-" + a.pid() + "-%";

      // mid-drain: some sent, and worker a holds running tasks
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10))
          .until(() -> count("SELECT COUNT(*) FROM communication_metrics WHERE status = 'sent'") >= TOTAL / 8
              && count("SELECT COUNT(*) FROM mingus_tasks WHERE state = 'running' AND lease_owner LIKE ?", workerA) > 0);
      long runningOnA = count("SELECT COUNT(*) FROM mingus_tasks WHERE state = 'running' AND lease_owner LIKE ?",
          workerA);
      long killed = System.nanoTime();
      a.toHandle().destroyForcibly(); // SIGKILL
      assertThat(a.waitFor(10, TimeUnit.SECONDS)).isTrue();
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
          .until(() -> count("SELECT COUNT(*) FROM mingus_tasks WHERE last_error_kind = 'RESCUED'") > 0);
      long rescuedAfter = (System.nanoTime() - killed) / 1_000_000;
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
          .until(() -> count("SELECT COUNT(*) FROM communication_metrics WHERE status = 'sent'") == TOTAL);
      long drainedAfter = (System.nanoTime() - killed) / 1_000_000;
      long rescued = count("SELECT COUNT(*) FROM mingus_tasks WHERE last_error_kind = 'RESCUED'");
      System.out.printf("three processes up and %d SMS queued after %d ms; SIGKILL of a worker with %d tasks running:"
          + " first rescued %d ms after, %d rescued, all %d sent %d ms after%n", TOTAL, started, runningOnA,
          rescuedAfter, rescued, TOTAL, drainedAfter);
      assertThat(rescued).as("its running tasks were put back").isPositive();

      assertThat(count("SELECT COUNT(*) FROM communication_metrics")).isEqualTo(TOTAL);
      assertThat(count("SELECT COUNT(*) FROM communication_metrics WHERE status <> 'sent'")).isZero();
      assertThat(count("SELECT COUNT(*) FROM user_engagement_metrics e WHERE e.total_communications <> (SELECT"
          + " COUNT(*) FROM communication_metrics c WHERE c.user_id = e.user_id AND c.status = 'sent')"))
          .as("engagement totals equal sent counts").isZero();
      assertThat(count("SELECT COALESCE(SUM(total_communications), 0) FROM user_engagement_metrics")).isEqualTo(TOTAL);
      assertThat(count("SELECT COUNT(*) FROM mingus_tasks WHERE state <> 'succeeded'")).isZero();

      Map<Long, String> keys = new HashMap<>();
      int lines = 0;
      for (String name : List.of("outbox-a.jsonl", "outbox-b.jsonl")) {
        Path file = dir.resolve(name);
        for (String line : Files.exists(file) ? Files.readAllLines(file) : List.<String>of()) {
          JsonNode json = Running.JSON.readTree(line);
          long id = json.get("communication_id").asLong();
          String key = json.get("idempotency_key").asText();
          String first = keys.putIfAbsent(id, key);
          assertThat(first == null || first.equals(key)).as("communication %d repeated under another key: %s", id, line)
              .isTrue();
          lines++;
        }
      }
      System.out.printf("outboxes: %d lines for %d communications (%d repeats, each under its own key)%n", lines,
          keys.size(), lines - keys.size());
      assertThat(keys).as("every communication is in an outbox").hasSize(TOTAL);
      assertThat(count("SELECT COUNT(*) FROM mingus_task_workers")).as("the killed worker was forgotten")
          .isLessThanOrEqualTo(1);

      b.toHandle().destroy();
      serve.toHandle().destroy();
      assertThat(b.waitFor(60, TimeUnit.SECONDS)).as(log(b)).isTrue();
      assertThat(serve.waitFor(60, TimeUnit.SECONDS)).as(log(serve)).isTrue();
    } finally {
      processes.forEach(Process::destroyForcibly);
      for (Process p : processes) {
        p.waitFor(10, TimeUnit.SECONDS);
      }
      sql("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
  }

  private void createUsers(HttpClient http, String base) throws InterruptedException, SQLException {
    List<Thread> threads = new ArrayList<>();
    List<String> failures = new CopyOnWriteArrayList<>();
    for (int t = 0; t < 4; t++) {
      int first = t;
      threads.add(Thread.ofVirtual().start(() -> {
        for (int u = first + 1; u <= USERS; u += 4) {
          String r = post(http, base + "/api/users", String.format(Locale.ROOT,
              "{\"email\": \"u%d@example.com\", \"phone\": \"+1415555%04d\", \"timezone\": \"UTC\"}", u, u));
          if (!r.startsWith("201 ")) {
            failures.add(r);
          }
        }
      }));
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(failures).isEmpty();
    // users are numbered 1..USERS in the order the server created them; the batches name them by id
    assertThat(count("SELECT COUNT(*) FROM users WHERE id BETWEEN 1 AND " + USERS)).isEqualTo(USERS);
  }

  private Process start(String name, Path outbox, String... args) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    // C1 only and the serial collector: three JVMs start on a 2-core CI machine in a fraction of the CPU
    List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-Dmingus.log.own=true", "-cp",
        System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("MINGUS_") || k.startsWith("DATABASE_") || k.contains("DB_"));
    env.put("DATABASE_URL", databaseUrl());
    env.put("DB_SCHEMA", schema);
    env.put("MINGUS_OUTBOX", outbox.toString());
    env.put("DB_POOL_SIZE", "3");
    env.put("DB_MAX_OVERFLOW", "0");
    env.put("WORKER_DB_POOL_SIZE", "4");
    env.put("WORKER_DB_MAX_OVERFLOW", "0");
    env.put("ANALYTICS_DB_POOL_SIZE", "1");
    env.put("ANALYTICS_DB_MAX_OVERFLOW", "0");
    Process p = pb.start();
    List<String> output = new CopyOnWriteArrayList<>();
    processes.add(p);
    outputs.put(p, output);
    Thread.ofVirtual().start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          output.add(line);
        }
      } catch (IOException e) {
        output.add("(output ended: " + e + ")");
      }
    });
    return p;
  }

  private String log(Process p) {
    return String.join("\n", outputs.get(p));
  }

  /** The test database as a {@code DATABASE_URL} of the form the guide uses. */
  private static String databaseUrl() {
    String jdbc = TestDb.postgresUrl();
    String password = TestDb.postgresPassword();
    return jdbc.replaceFirst("^jdbc:postgresql://", "postgresql://" + TestDb.postgresUser()
        + (password == null ? "" : ":" + password) + "@");
  }

  private Connection connect() throws SQLException {
    Connection c = DriverManager.getConnection(TestDb.postgresUrl(), TestDb.postgresUser(), TestDb.postgresPassword());
    if (schema != null) {
      c.setSchema(schema);
    }
    return c;
  }

  private void sql(String statement) throws SQLException {
    try (Connection c = DriverManager.getConnection(TestDb.postgresUrl(), TestDb.postgresUser(),
        TestDb.postgresPassword()); Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }

  private long count(String query, Object... params) throws SQLException {
    try (Connection c = connect(); var ps = c.prepareStatement(query)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        return -1; // the table is not there yet: the migrations have not run
      }
      throw e;
    }
  }

  private static String post(HttpClient http, String url, String json) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() + " " + r.body();
    } catch (IOException e) {
      return "exception " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
