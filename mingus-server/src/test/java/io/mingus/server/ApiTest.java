package io.mingus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mingus.db.TestEngine;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ApiTest {
  @TempDir
  Path dir;

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_user_sends_an_sms_that_a_worker_delivers_and_the_api_shows_it_sent(TestEngine engine) {
    try (Running server = Running.start(engine, dir)) {
      long user = server.createUser("ada@example.com", "+14155550123", "Europe/London");
      assertThat(Running.json(server.get("/api/users/" + user)).get("email").asText()).isEqualTo("ada@example.com");

      HttpResponse<String> sent = server.post("/api/communications",
          "{\"user_id\": " + user + ", \"channel\": \"sms\", \"message\": \"Your code is 1234\","
              + " \"message_type\": \"otp\", \"idempotency_key\": \"otp-1\"}");
      assertThat(sent.statusCode()).as(sent.body()).isEqualTo(202);
      assertThat(sent.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
      JsonNode queued = Running.json(sent);
      long id = queued.get("id").asLong();
      assertThat(queued.get("status").asText()).isIn("queued", "sent");
      assertThat(queued.get("user_id").asLong()).isEqualTo(user);
      assertThat(queued.get("channel").asText()).isEqualTo("sms");
      assertThat(sent.headers().firstValue("Location")).hasValue("/api/communications/" + id);

      JsonNode delivered = await().atMost(Duration.ofSeconds(30)).until(
          () -> Running.json(server.get("/api/communications/" + id)), c -> c.get("status").asText().equals("sent"));
      assertThat(delivered.fieldNames()).toIterable().contains("id", "user_id", "channel", "status",
          "provider_message_id", "error", "created_at", "sent_at");
      assertThat(delivered.get("provider_message_id").asText()).isNotBlank();
      assertThat(delivered.get("error").isNull()).isTrue();
      assertThat(delivered.get("sent_at").asText()).endsWith("Z");

      JsonNode engagement = Running.json(server.get("/api/users/" + user + "/engagement"));
      assertThat(engagement.get("total_communications").asLong()).isEqualTo(1);
      assertThat(engagement.get("sms_count").asLong()).isEqualTo(1);
      JsonNode preferences = Running.json(server.get("/api/users/" + user + "/preferences"));
      assertThat(preferences.get("last_sms_sent").isNull()).isFalse();
      assertThat(server.outboxLines()).singleElement()
          .satisfies(line -> assertThat(line.get("communication_id").asLong()).isEqualTo(id))
          .satisfies(line -> assertThat(line.get("body").asText()).isEqualTo("Your code is 1234"));
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_user_who_turned_sms_off_gets_a_suppressed_communication_with_the_reason(TestEngine engine) {
    try (Running server = Running.start(engine, dir)) {
      long user = server.createUser("bo@example.com", "+14155550124", "America/Chicago");
      HttpResponse<String> put = server.put("/api/users/" + user + "/preferences",
          "{\"sms_enabled\": false, \"quiet_hours_start\": \"22:00\", \"quiet_hours_end\": \"07:00\", \"daily_limit\": 5}");
      assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
      JsonNode prefs = Running.json(server.get("/api/users/" + user + "/preferences"));
      assertThat(prefs.get("sms_enabled").asBoolean()).isFalse();
      assertThat(prefs.get("quiet_hours_start").asText()).startsWith("22:00");
      assertThat(prefs.get("daily_limit").asInt()).isEqualTo(5);

      long id = Running.json(server.post("/api/communications",
          "{\"user_id\": " + user + ", \"channel\": \"sms\", \"message\": \"hello\"}")).get("id").asLong();
      JsonNode done = await().atMost(Duration.ofSeconds(30)).until(
          () -> Running.json(server.get("/api/communications/" + id)), c -> !List.of("queued", "sending").contains(c.get("status").asText()));
      assertThat(done.get("status").asText()).isEqualTo("suppressed");
      assertThat(done.get("error").asText()).isNotBlank();
      assertThat(server.outboxLines()).isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void text_with_quotes_semicolons_sql_keywords_and_non_ascii_is_stored_and_returned_verbatim(TestEngine engine) {
    String email = "o'brien+x--@exämple.com";
    String message = "Robert'); DROP TABLE users; -- \"quoted\" \\ back\\slash «Grüße» 日本語 🎉 %_ $1 ?";
    String key = "key'; SELECT * FROM communication_metrics; -- ü";
    try (Running server = Running.start(engine, dir)) {
      long user = server.createUser(email, "+14155550125", "Asia/Tokyo");
      assertThat(Running.json(server.get("/api/users/" + user)).get("email").asText()).isEqualTo(email);
      ObjectNode body = Running.JSON.createObjectNode().put("user_id", user).put("channel", "email")
          .put("subject", "Überschrift; DELETE FROM users").put("message", message).put("idempotency_key", key);
      HttpResponse<String> sent = server.post("/api/communications", body.toString());
      assertThat(sent.statusCode()).as(sent.body()).isEqualTo(202);
      long id = Running.json(sent).get("id").asLong();
      assertThat(Running.json(server.get("/api/communications/" + id)).get("idempotency_key").asText()).isEqualTo(key);
      await().atMost(Duration.ofSeconds(30)).until(() -> server.outboxLines().size() == 1);
      JsonNode line = server.outboxLines().getFirst();
      assertThat(line.get("body").asText()).isEqualTo(message);
      assertThat(line.get("subject").asText()).isEqualTo("Überschrift; DELETE FROM users");
      assertThat(line.get("to").asText()).isEqualTo(email);
      assertThat(server.rowCounts().getFirst()).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void twenty_concurrent_repeats_of_one_idempotency_key_make_one_communication(TestEngine engine) throws Exception {
    try (Running server = Running.start(engine, dir, ServerSettings.defaults(), false, b -> b)) {
      long user = server.createUser("cy@example.com", "+14155550126", "UTC");
      String body = "{\"user_id\": " + user + ", \"channel\": \"sms\", \"message\": \"once\", \"idempotency_key\": \"k-1\"}";
      List<Future<HttpResponse<String>>> calls = new ArrayList<>();
      try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int i = 0; i < 20; i++) {
          calls.add(pool.submit(() -> server.post("/api/communications", body)));
        }
      }
      List<Long> ids = new ArrayList<>();
      for (Future<HttpResponse<String>> call : calls) {
        HttpResponse<String> r = call.get();
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        ids.add(Running.json(r).get("id").asLong());
      }
      assertThat(ids).containsOnly(ids.getFirst());
      assertThat(server.rowCounts().get(2)).as("communication rows").isEqualTo(1);
      assertThat(server.rowCounts().get(4)).as("task rows").isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void listing_pages_through_communications_newest_first_with_a_cursor(TestEngine engine) {
    try (Running server = Running.start(engine, dir, ServerSettings.defaults(), false, b -> b)) {
      long user = server.createUser("di@example.com", "+14155550127", "UTC");
      long other = server.createUser("ed@example.com", "+14155550128", "UTC");
      List<Long> sent = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        sent.add(Running.json(server.post("/api/communications",
            "{\"user_id\": " + user + ", \"channel\": \"sms\", \"message\": \"m" + i + "\"}")).get("id").asLong());
      }
      server.post("/api/communications", "{\"user_id\": " + other + ", \"channel\": \"sms\", \"message\": \"x\"}");

      List<Long> seen = new ArrayList<>();
      String cursor = null;
      int pages = 0;
      do {
        JsonNode page = Running.json(server.get("/api/communications?user_id=" + user + "&status=queued&limit=2"
            + (cursor == null ? "" : "&cursor=" + java.net.URLEncoder.encode(cursor, java.nio.charset.StandardCharsets.UTF_8))));
        page.get("items").forEach(c -> seen.add(c.get("id").asLong()));
        cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
        pages++;
      } while (cursor != null && pages < 10);
      assertThat(seen).containsExactlyElementsOf(sent.reversed());
      assertThat(Running.json(server.get("/api/communications?channel=email")).get("items")).isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_batch_is_accepted_whole_or_refused_whole(TestEngine engine) {
    try (Running server = Running.start(engine, dir, ServerSettings.defaults(), false, b -> b)) {
      long user = server.createUser("fa@example.com", "+14155550129", "UTC");
      ArrayNode items = Running.JSON.createArrayNode();
      for (int i = 0; i < 3; i++) {
        items.addObject().put("user_id", user).put("channel", "sms").put("message", "b" + i);
      }
      HttpResponse<String> ok = server.post("/api/communications/batch",
          Running.JSON.createObjectNode().set("communications", items).toString());
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(202);
      assertThat(Running.json(ok).get("communications")).hasSize(3)
          .allSatisfy(c -> assertThat(c.get("status").asText()).isEqualTo("queued"));

      List<Long> before = server.rowCounts();
      ((com.fasterxml.jackson.databind.node.ObjectNode) items.get(1)).put("user_id", 987654321L);
      HttpResponse<String> refused = server.post("/api/communications/batch",
          Running.JSON.createObjectNode().set("communications", items).toString());
      assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
      assertThat(fields(Running.json(refused))).contains("communications[1].user_id");
      assertThat(server.rowCounts()).isEqualTo(before);
    }
  }

  static List<String> fields(JsonNode problem) {
    List<String> fields = new ArrayList<>();
    if (problem.has("errors")) {
      problem.get("errors").forEach(e -> fields.add(e.get("field").asText()));
    }
    return fields;
  }
}
