package io.mingus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.mingus.db.TestEngine;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The dashboard over plain HTTP: its document, its protection and its assets, on both engines. */
class ConsoleTest {
  private static final String TOKEN = "console-test-admin-token-0123";

  @TempDir
  Path dir;

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void the_live_document_holds_pools_tasks_communications_and_history(TestEngine engine) {
    try (Running server = Running.start(engine, dir, ServerSettings.defaults().withAdminToken(TOKEN), true, b -> b)) {
      String[] auth = {"Authorization", "Bearer " + TOKEN};
      long user = server.createUser("ed@example.com", "+14155550140", "UTC");
      server.post("/api/communications", "{\"user_id\": " + user + ", \"channel\": \"sms\", \"message\": \"hi\"}");
      await().atMost(Duration.ofSeconds(30)).until(() -> server.outboxLines().size() == 1);

      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        JsonNode live = Running.json(server.get("/dashboard/live", auth));
        assertThat(live.get("communications").get("last_minute").get("sms").get("sent").asLong()).isEqualTo(1);
        assertThat(live.get("tasks").get("last_minute").get("succeeded").asLong()).isEqualTo(1);
        assertThat(live.get("history").size()).isGreaterThanOrEqualTo(2);
      });
      HttpResponse<String> response = server.get("/dashboard/live", auth);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
      JsonNode live = Running.json(response);
      JsonNode database = live.get("database");
      assertThat(database.get("status").asText()).isEqualTo("healthy");
      assertThat(database.get("health").get("worker").get("circuit_breaker").asText()).isEqualTo("closed");
      assertThat(database.get("kpis").fieldNames()).toIterable().contains("total_connections", "active_connections",
          "connection_utilization", "error_rate", "average_checkout_time");
      assertThat(database.get("pools").fieldNames()).toIterable().containsExactly("main", "worker", "analytics");
      assertThat(database.get("pools").get("main").get("max_size").asInt()).isPositive();
      assertThat(database.get("sessions").get("committed").asLong()).isPositive();
      JsonNode tasks = live.get("tasks");
      assertThat(tasks.get("counts").get("comms").get("succeeded").asLong()).isEqualTo(1);
      assertThat(tasks.get("lists").fieldNames()).toIterable().containsExactly("failed", "running", "queued");
      assertThat(tasks.get("last_minute").get("pickup_p50_ms").isNumber()).isTrue();
      JsonNode engagement = live.get("communications").get("engagement");
      assertThat(engagement.get("users").asLong()).isEqualTo(1);
      assertThat(engagement.get("sms_count").asLong()).isEqualTo(1);
      JsonNode point = live.get("history").get(live.get("history").size() - 1);
      assertThat(point.get("seq").asLong()).isEqualTo(live.get("seq").asLong());
      assertThat(point.get("pools").fieldNames()).toIterable().containsExactly("main", "worker", "analytics");

      JsonNode later = Running.json(server.get("/dashboard/live?since=" + live.get("seq").asLong(), auth));
      assertThat(later.get("history")).allSatisfy(p -> assertThat(p.get("seq").asLong()).isGreaterThan(live.get("seq").asLong()));
      HttpResponse<String> bad = server.get("/dashboard/live?since=-4", auth);
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(Running.json(bad).get("errors").get(0).get("field").asText()).isEqualTo("since");
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void the_page_needs_the_token_and_a_browser_is_asked_for_it(TestEngine engine) {
    try (Running server = Running.start(engine, dir, ServerSettings.defaults().withAdminToken(TOKEN), false, b -> b)) {
      HttpResponse<String> browser = server.get("/dashboard", "Accept", "text/html,application/xhtml+xml");
      assertThat(browser.statusCode()).isEqualTo(401);
      assertThat(browser.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic "));
      assertThat(browser.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
      assertThat(browser.body()).contains("This dashboard needs the admin token").doesNotContain(TOKEN);

      HttpResponse<String> client = server.get("/dashboard/live");
      assertThat(client.statusCode()).isEqualTo(401);
      assertThat(client.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer "));
      assertThat(client.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));

      String basic = "Basic " + Base64.getEncoder().encodeToString(("anyone:" + TOKEN).getBytes(StandardCharsets.UTF_8));
      String wrong = "Basic " + Base64.getEncoder().encodeToString("anyone:not-the-token-at-all".getBytes(StandardCharsets.UTF_8));
      assertThat(server.get("/dashboard/live", "Authorization", wrong).statusCode()).isEqualTo(401);
      HttpResponse<String> page = server.get("/dashboard", "Authorization", basic);
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(v ->
          assertThat(v).contains("default-src 'self'"));
      assertThat(page.body()).contains("<script src=\"/dashboard/assets/console.js\"", "data-pool=\"main\"")
          .doesNotContain("<script>", "<style", "style=");
      assertThat(server.get("/", "Authorization", basic).statusCode()).isEqualTo(302);
      assertThat(server.get("/admin/tasks", "Authorization", basic).statusCode()).isEqualTo(200);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void assets_are_public_with_their_types_and_a_cross_site_change_is_refused(TestEngine engine) {
    try (Running server = Running.start(engine, dir, ServerSettings.defaults(), false, b -> b)) {
      HttpResponse<String> js = server.get("/dashboard/assets/console.js");
      assertThat(js.statusCode()).isEqualTo(200);
      assertThat(js.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/javascript"));
      String etag = js.headers().firstValue("ETag").orElseThrow();
      assertThat(server.get("/dashboard/assets/console.js", "If-None-Match", etag).statusCode()).isEqualTo(304);
      assertThat(server.get("/dashboard/assets/uPlot.iife.min.js").body()).contains("uPlot");
      assertThat(server.get("/dashboard/assets/uPlot.LICENSE.txt").body()).contains("MIT");
      assertThat(server.get("/dashboard/assets/console.css").headers().firstValue("Content-Type"))
          .hasValueSatisfying(v -> assertThat(v).startsWith("text/css"));
      assertThat(server.get("/dashboard/assets/secrets.txt").statusCode()).isEqualTo(404);

      // loopback needs no token: a page of another site must still not retry or cancel anything
      long user = server.createUser("fi@example.com", "+14155550141", "UTC");
      server.post("/api/communications", "{\"user_id\": " + user + ", \"channel\": \"sms\", \"message\": \"hi\"}");
      long task = server.queue.admin().list(null, null, 1).getFirst().id();
      HttpResponse<String> forged = server.post("/admin/tasks/" + task + "/cancel", "", "Origin", "https://evil.example",
          "Sec-Fetch-Site", "cross-site");
      assertThat(forged.statusCode()).isEqualTo(403);
      assertThat(server.queue.admin().find(task).orElseThrow().state().name()).isEqualTo("QUEUED");
      HttpResponse<String> own = server.post("/admin/tasks/" + task + "/cancel", "", "Sec-Fetch-Site", "same-origin");
      assertThat(own.statusCode()).as(own.body()).isEqualTo(200);
    }
  }
}
