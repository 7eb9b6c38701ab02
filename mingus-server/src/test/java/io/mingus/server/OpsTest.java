package io.mingus.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.mingus.db.TestEngine;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class OpsTest {
  private static final String TOKEN = "test-admin-token-0123456789";

  @TempDir
  Path dir;

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void the_guides_documents_probes_and_prometheus_answer_on_loopback_without_a_token(TestEngine engine) {
    try (Running server = Running.start(engine, dir, ServerSettings.defaults(), false, b -> b)) {
      server.createUser("gi@example.com", "+14155550130", "UTC");
      HttpResponse<String> health = server.get("/health/database");
      assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
      JsonNode h = Running.json(health);
      assertThat(h.get("status").asText()).isEqualTo("healthy");
      assertThat(h.fieldNames()).toIterable().contains("status", "session_manager", "connection_pools", "timestamp");
      assertThat(h.get("session_manager").fieldNames()).toIterable().contains("total_sessions", "active_sessions",
          "failed_sessions", "transaction_rollbacks", "committed", "retries", "slow_queries");
      assertThat(h.get("session_manager").get("total_sessions").asLong()).isPositive();
      assertThat(h.get("connection_pools").fieldNames()).toIterable().containsExactly("main", "worker", "analytics");
      assertThat(h.get("connection_pools").get("main").fieldNames()).toIterable()
          .contains("status", "response_time_ms", "utilization", "circuit_breaker", "circuit_breaker_opened_at",
              "circuit_breaker_open_ms");
      assertThat(h.get("connection_pools").get("main").get("circuit_breaker").asText()).isEqualTo("closed");
      assertThat(h.get("connection_pools").get("main").get("circuit_breaker_open_ms").isNull()).isTrue();

      JsonNode m = Running.json(server.get("/metrics/database"));
      assertThat(m.fieldNames()).toIterable().contains("pool_metrics", "performance_metrics", "timestamp");
      assertThat(m.get("pool_metrics").get("worker").fieldNames()).toIterable().contains("pool_size", "checked_out",
          "checked_in", "idle", "pending", "overflow", "total_connections", "active_connections", "idle_connections",
          "connection_errors", "timeouts", "average_checkout_time_ms", "p99_checkout_time_ms", "max_size");
      assertThat(m.get("performance_metrics").fieldNames()).toIterable().contains("total_checkouts", "total_errors",
          "total_timeouts", "average_checkout_time", "error_rate");
      assertThat(m.get("performance_metrics").get("total_checkouts").asLong()).isPositive();

      JsonNode d = Running.json(server.get("/dashboard/database"));
      assertThat(d.fieldNames()).toIterable().contains("health_status", "kpis", "pools");
      assertThat(d.get("kpis").fieldNames()).toIterable().contains("total_connections", "active_connections",
          "connection_utilization", "error_rate", "average_checkout_time");
      assertThat(d.get("pools").get("main").get("health").asText()).isEqualTo("healthy");
      assertThat(d.get("pools").get("analytics").get("metrics").fieldNames()).toIterable()
          .contains("pool_size", "checked_out", "checked_in", "overflow", "errors");

      assertThat(Running.json(server.get("/health/live")).get("status").asText()).isEqualTo("alive");
      HttpResponse<String> ready = server.get("/health/ready");
      assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
      assertThat(Running.json(ready).get("status").asText()).isEqualTo("ready");
      assertThat(Running.json(ready).get("circuit_breaker").asText()).isEqualTo("closed");
      assertThat(server.get("/admin/tasks").statusCode()).isEqualTo(200);
      server.get("/api/users/12345");
      HttpResponse<String> metrics = server.get("/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
      assertThat(metrics.body()).contains("# TYPE", "hikaricp_connections", "http_server_requests_seconds_count",
          "uri=\"/api/users/{id}\"")
          // one pool label for Hikari's, the breakers' and Mingus's own meters
          .contains("hikaricp_connections_active{pool=\"main\"}", "hikaricp_connections_acquire_seconds_count{pool=\"main\"}",
              "resilience4j_circuitbreaker_state{name=\"main\",pool=\"main\",state=\"closed\"} 1.0",
              "mingus_db_breaker_transitions_total{from=\"closed\",pool=\"main\",to=\"open\"} 0.0",
              "mingus_db_pool_connection_errors_total{pool=\"main\"}")
          .doesNotContain("mingus_db_pool_checkout_seconds", "mingus_db_pool_timeouts_total", "pool=\"mingus-main\"");
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void with_workers_prometheus_counts_rescued_tasks_by_cause_from_zero(TestEngine engine) {
    try (Running server = Running.start(engine, dir)) {
      HttpResponse<String> metrics = server.get("/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains(
          "mingus_tasks_rescues_total{cause=\"lease_expired\",queue=\"comms\"} 0.0",
          "mingus_tasks_rescues_total{cause=\"session_gone\",queue=\"comms\"} 0.0",
          "resilience4j_circuitbreaker_state{name=\"worker\",pool=\"worker\",state=\"closed\"} 1.0");
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void admin_endpoints_refuse_without_the_token_and_accept_with_it(TestEngine engine) {
    try (Running server = Running.start(engine, dir, ServerSettings.defaults().withAdminToken(TOKEN), false, b -> b)) {
      for (String path : List.of("/metrics", "/metrics/database", "/dashboard/database", "/admin/tasks")) {
        HttpResponse<String> none = server.get(path);
        assertThat(none.statusCode()).as(path).isEqualTo(401);
        assertThat(none.headers().firstValue("Content-Type")).as(path)
            .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        assertThat(none.headers().firstValue("WWW-Authenticate")).as(path).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(server.get(path, "Authorization", "Bearer wrong-token-0123456789").statusCode()).as(path).isEqualTo(401);
        HttpResponse<String> ok = server.get(path, "Authorization", "Bearer " + TOKEN);
        assertThat(ok.statusCode()).as(path + ": " + ok.body()).isEqualTo(200);
      }
      for (String variant : List.of("/metrics/", "/metrics/database/", "/dashboard/database/", "/admin/tasks/",
          "//metrics", "/admin//tasks")) {
        assertThat(server.get(variant).statusCode()).as(variant).isIn(401, 404);
      }
      assertThat(server.get("/health/database").statusCode()).isEqualTo(200);
      assertThat(server.get("/health/live").statusCode()).isEqualTo(200);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void with_api_keys_set_the_api_needs_one(TestEngine engine) {
    ServerSettings settings = ServerSettings.defaults().withApiKeys(List.of("key-one", "key-two"));
    try (Running server = Running.start(engine, dir, settings, false, b -> b)) {
      String body = "{\"email\": \"hu@example.com\", \"phone\": \"+14155550131\", \"timezone\": \"UTC\"}";
      HttpResponse<String> refused = server.post("/api/users", body);
      assertThat(refused.statusCode()).isEqualTo(401);
      assertThat(Running.json(refused).get("status").asInt()).isEqualTo(401);
      assertThat(server.post("/api/users", body, "X-API-Key", "key-three").statusCode()).isEqualTo(401);
      assertThat(server.rowCounts().getFirst()).isZero();
      HttpResponse<String> created = server.post("/api/users", body, "X-API-Key", "key-two");
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
      long id = Running.json(created).get("id").asLong();
      assertThat(server.get("/api/users/" + id, "Authorization", "Bearer key-one").statusCode()).isEqualTo(200);
      assertThat(server.get("/health/live").statusCode()).isEqualTo(200);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void tasks_are_listed_cancelled_and_retried_over_http(TestEngine engine) {
    try (Running server = Running.start(engine, dir, ServerSettings.defaults().withAdminToken(TOKEN), false, b -> b)) {
      String[] auth = {"Authorization", "Bearer " + TOKEN};
      long user = server.createUser("iv@example.com", "+14155550132", "UTC");
      server.post("/api/communications", "{\"user_id\": " + user + ", \"channel\": \"sms\", \"message\": \"t\"}");
      JsonNode list = Running.json(server.get("/admin/tasks?state=queued", auth));
      assertThat(list.get("tasks")).hasSize(1);
      assertThat(list.get("counts").get("comms").get("queued").asLong()).isEqualTo(1);
      long task = list.get("tasks").get(0).get("id").asLong();
      assertThat(Running.json(server.get("/admin/tasks/" + task, auth)).get("state").asText()).isEqualTo("queued");

      HttpResponse<String> cancelled = server.post("/admin/tasks/" + task + "/cancel", "", auth);
      assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
      assertThat(Running.json(cancelled).get("state").asText()).isEqualTo("cancelled");
      HttpResponse<String> again = server.post("/admin/tasks/" + task + "/cancel", "", auth);
      assertThat(again.statusCode()).isEqualTo(409);
      assertThat(Running.json(again).get("detail").asText()).contains("cancelled");
      HttpResponse<String> retried = server.post("/admin/tasks/" + task + "/retry", "", auth);
      assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
      assertThat(Running.json(retried).get("state").asText()).isEqualTo("queued");
      assertThat(server.get("/admin/tasks/987654321", auth).statusCode()).isEqualTo(404);
      assertThat(server.get("/admin/tasks?state=sleeping", auth).statusCode()).isEqualTo(400);
    }
  }
}
