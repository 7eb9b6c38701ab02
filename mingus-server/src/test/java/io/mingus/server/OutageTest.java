package io.mingus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.mingus.db.PoolName;
import io.mingus.db.TcpProxy;
import io.mingus.db.TestDb;
import io.mingus.db.TestEngine;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL outages: a TCP proxy between the server and the database cut and restored, and every
 * backend of the server terminated while it serves. The shared server itself is never stopped.
 */
class OutageTest {
  @TempDir
  Path dir;

  @Test
  void health_answers_503_while_the_database_is_unreachable_and_200_again_after() {
    TestDb.requirePostgres();
    try (TcpProxy proxy = TcpProxy.toPostgres();
        Running server = Running.start(TestEngine.POSTGRESQL, dir, ServerSettings.defaults(), false,
            b -> b.url(proxy.rewrite(TestDb.postgresUrl()), TestDb.postgresUser(), TestDb.postgresPassword())
                .poolTimeout(PoolName.MAIN, Duration.ofSeconds(1))
                .poolTimeout(PoolName.WORKER, Duration.ofSeconds(1))
                .poolTimeout(PoolName.ANALYTICS, Duration.ofSeconds(1))
                .healthCheckTimeout(Duration.ofSeconds(1))
                .breaker(2, Duration.ofMillis(500)))) {
      long user = server.createUser("ol@example.com", "+14155550140", "UTC");
      assertThat(server.get("/health/database").statusCode()).isEqualTo(200);

      proxy.cut();
      HttpResponse<String> down = await().atMost(Duration.ofSeconds(20))
          .until(() -> server.get("/health/database"), r -> r.statusCode() == 503);
      JsonNode doc = Running.json(down);
      assertThat(doc.get("status").asText()).isEqualTo("degraded");
      assertThat(doc.get("connection_pools").get("main").get("status").asText()).isNotEqualTo("healthy");
      JsonNode main = await().atMost(Duration.ofSeconds(20)).until(
          () -> Running.json(server.get("/health/database")).get("connection_pools").get("main"),
          p -> p.get("circuit_breaker").asText().equals("open"));
      assertThat(main.get("circuit_breaker_opened_at").asText()).isNotBlank();
      assertThat(main.get("circuit_breaker_open_ms").asLong()).isNotNegative();
      HttpResponse<String> notReady = server.get("/health/ready");
      assertThat(notReady.statusCode()).isEqualTo(503);
      assertThat(Running.json(notReady).get("circuit_breaker").asText()).isIn("open", "half_open");
      assertThat(server.get("/metrics").body())
          .contains("mingus_db_breaker_transitions_total{from=\"closed\",pool=\"main\",to=\"open\"} 1.0");
      assertThat(server.get("/health/live").statusCode()).isEqualTo(200);

      HttpResponse<String> api = server.get("/api/users/" + user);
      assertThat(api.statusCode()).as(api.body()).isEqualTo(503);
      assertThat(api.headers().firstValue("Retry-After")).hasValueSatisfying(v -> assertThat(Long.parseLong(v)).isPositive());
      assertThat(api.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
      assertThat(Running.json(api).get("request_id").asText()).isNotBlank();

      proxy.restore();
      await().atMost(Duration.ofSeconds(30)).until(() -> server.get("/health/database").statusCode() == 200);
      await().atMost(Duration.ofSeconds(10)).until(() -> server.get("/api/users/" + user).statusCode() == 200);
      JsonNode back = Running.json(server.get("/health/ready"));
      assertThat(back.get("circuit_breaker").asText()).isEqualTo("closed");
      assertThat(back.get("circuit_breaker_open_ms").isNull()).isTrue();
    }
  }

  @Test
  void terminating_every_backend_of_the_server_costs_no_request_more_than_its_retries() throws Exception {
    TestDb.requirePostgres();
    // A name of this test's own, so that only its backends are terminated on the shared server.
    String app = "mingus-test-" + UUID.randomUUID().toString().substring(0, 8);
    try (Running server = Running.start(TestEngine.POSTGRESQL, dir, ServerSettings.defaults(), true,
        b -> b.url(TestDb.postgresUrl() + "?ApplicationName=" + app, TestDb.postgresUser(), TestDb.postgresPassword()))) {
      long user = server.createUser("tb@example.com", "+14155550141", "UTC");
      assertThat(server.put("/api/users/" + user + "/preferences", "{\"daily_limit\": 10000}").statusCode())
          .isEqualTo(200);
      AtomicInteger keys = new AtomicInteger();
      AtomicInteger answered = new AtomicInteger();
      AtomicBoolean stop = new AtomicBoolean();
      Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
      List<String> unexpected = new CopyOnWriteArrayList<>();
      List<Thread> clients = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        // half the clients send without an idempotency key: a send is written exactly once either way
        boolean keyed = i % 2 == 0;
        clients.add(Thread.ofVirtual().start(() -> {
          while (!stop.get()) {
            String key = "tb-" + keys.incrementAndGet();
            var body = Running.JSON.createObjectNode().put("user_id", user).put("channel", "sms")
                .put("message", "code 1234").put("message_type", "otp");
            if (keyed) {
              body.put("idempotency_key", key);
            }
            HttpResponse<String> sent = server.post("/api/communications", body.toString());
            statuses.merge(sent.statusCode(), 1, Integer::sum);
            if (sent.statusCode() != 202) {
              unexpected.add("POST " + key + ": " + sent.statusCode() + " " + sent.body());
              continue;
            }
            HttpResponse<String> read = server.get("/api/communications/" + Running.json(sent).get("id").asLong());
            statuses.merge(read.statusCode(), 1, Integer::sum);
            if (read.statusCode() != 200) {
              unexpected.add("GET: " + read.statusCode() + " " + read.body());
            }
            answered.incrementAndGet();
          }
        }));
      }
      int terminated = 0;
      try {
        for (int event = 0; event < 3; event++) {
          int before = answered.get();
          await().atMost(Duration.ofSeconds(30)).until(() -> answered.get() >= before + 10);
          terminated += terminateAll(server, app);
        }
        int last = answered.get();
        await().atMost(Duration.ofSeconds(30)).until(() -> answered.get() >= last + 10);
      } finally {
        stop.set(true);
        for (Thread c : clients) {
          c.join(Duration.ofSeconds(60));
        }
      }
      assertThat(terminated).as("backends terminated in three events").isGreaterThanOrEqualTo(3);
      assertThat(unexpected).as("answers other than 202 and 200 (statuses %s)", statuses).isEmpty();
      assertThat(server.get("/metrics").body())
          .contains("mingus_db_breaker_transitions_total{from=\"closed\",pool=\"main\",to=\"open\"} 0.0");
      // Every request made exactly one communication.
      int requests = keys.get();
      assertThat(server.rowCounts().get(2)).as("communications").isEqualTo(requests);
    }
  }

  private static int terminateAll(Running server, String app) throws Exception {
    try (Connection raw = server.testDb.rawConnection();
        PreparedStatement ps = raw.prepareStatement("SELECT count(*) FROM (SELECT pg_terminate_backend(pid)"
            + " FROM pg_stat_activity WHERE application_name = ? AND pid <> pg_backend_pid()) killed")) {
      ps.setString(1, app);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }
}
