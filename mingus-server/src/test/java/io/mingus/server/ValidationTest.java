package io.mingus.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mingus.db.TestEngine;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The text, email, time-zone and type rules of every field, and idempotency keys reused for other requests. */
class ValidationTest {
  @TempDir
  Path dir;

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void text_fields_refuse_control_characters_lone_surrogates_bad_emails_and_offsets(TestEngine engine) {
    try (Running server = Running.start(engine, dir, ServerSettings.defaults(), false, b -> b)) {
      long user = server.createUser("Ada@Example.com", "+14155550100", "Europe/Paris");
      List<Long> before = server.rowCounts();

      // NUL never reaches the driver (PostgreSQL refuses it with an error, a 500 before)
      bad(server.post("/api/communications", send(user, "sms", "a\u0000b")), "message");
      bad(server.post("/api/communications", send(user, "sms", "bell\u0007")), "message");
      bad(server.post("/api/communications", "{\"user_id\": " + user + ", \"channel\": \"sms\", \"message\": \"x\\ud800y\"}"),
          "message");
      bad(server.post("/api/communications", "{\"user_id\": " + user + ", \"channel\": \"sms\", \"message\": \"\\udc00\"}"),
          "message");
      bad(server.post("/api/communications", send(user, "email", "hi").put("subject", "Hi\r\nBcc: x@evil.example")
          .toString()), "subject");
      bad(server.post("/api/communications", send(user, "sms", "hi").put("idempotency_key", "k\u0000").toString()),
          "idempotency_key");
      bad(server.post("/api/communications", send(user, "SMS", "hi")), "channel");
      bad(server.post("/api/communications", send(user, " sms", "hi")), "channel");
      bad(server.get("/api/communications?channel=SMS"), "channel");
      bad(server.get("/api/communications?status=Sent"), "status");
      bad(server.get("/api/communications?cursor=%00"), "cursor");
      bad(server.get("/admin/tasks?queue=%00"), "queue");

      for (String email : List.of("a@b..com", "<a@b.com>", "Ada <a@b.com>", "a@b", ".a@b.com", "a..b@c.com",
          "a@-b.com", "a\u0000@b.com", "a@b.com\n", "\"a b\"@c.com", "a@b_c.com")) {
        bad(server.post("/api/users", user(email, "UTC")), "email");
      }
      bad(server.post("/api/users", user("ada@example.com", "UTC")), "email"); // taken, ignoring case
      bad(server.post("/api/users", user("ADA@EXAMPLE.COM", "UTC")), "email");
      for (String zone : List.of("Z", "+05:00", "UTC+5", "GMT+01:00", "SystemV/EST5", "europe/paris", "Europe/Paris\u0000",
          "")) {
        bad(server.post("/api/users", user("zone@example.com", zone)), "timezone");
      }
      bad(server.post("/api/users", "{\"email\": \"p@example.com\", \"phone\": \"+1415\\u0000\"}"), "phone");

      // a wrong JSON type is a 400 naming the field
      String prefs = "/api/users/" + user + "/preferences";
      bad(server.put(prefs, "{\"quiet_hours_start\": [], \"quiet_hours_end\": \"07:00\"}"), "quiet_hours_start");
      bad(server.put(prefs, "{\"quiet_hours_start\": [22, 0], \"quiet_hours_end\": \"07:00\"}"), "quiet_hours_start");
      bad(server.put(prefs, "{\"quiet_hours_start\": {}, \"quiet_hours_end\": \"07:00\"}"), "quiet_hours_start");
      bad(server.put(prefs, "{\"daily_limit\": 1.5}"), "daily_limit");
      bad(server.put(prefs, "{\"sms_enabled\": 1}"), "sms_enabled");
      bad(server.post("/api/communications", "{\"user_id\": [1], \"channel\": \"sms\", \"message\": \"m\"}"), "user_id");
      bad(server.post("/api/communications", "{\"user_id\": " + user + ", \"channel\": [\"sms\"], \"message\": \"m\"}"),
          "channel");
      bad(server.post("/api/communications", "{\"user_id\": " + user + ", \"channel\": \"sms\", \"message\": {}}"),
          "message");
      bad(server.post("/api/communications/batch", "{\"communications\": {}}"), "communications");
      bad(server.post("/api/users", "{\"email\": true}"), "email");

      assertThat(server.rowCounts()).as("no row changed by a refused request").isEqualTo(before);

      // what is allowed: tab and line breaks in a message, non-BMP characters, region ids
      assertThat(server.post("/api/communications", send(user, "sms", "line 1\n\tline 2 \uD83D\uDE00")).statusCode())
          .isEqualTo(202);
      assertThat(server.createUser("grace@example.com", null, "America/Argentina/Buenos_Aires")).isPositive();
      assertThat(server.createUser("utc@example.com", null, "UTC")).isPositive();
      assertThat(server.put(prefs, "{\"quiet_hours_start\": \"22:00\", \"quiet_hours_end\": \"07:00\"}").statusCode())
          .isEqualTo(200);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void an_idempotency_key_reused_for_another_request_is_a_422_and_the_same_request_gets_the_first(TestEngine engine)
      throws Exception {
    try (Running server = Running.start(engine, dir, ServerSettings.defaults(), false, b -> b)) {
      long ada = server.createUser("ada@example.com", "+14155550100", "UTC");
      long bo = server.createUser("bo@example.com", "+14155550101", "UTC");
      String first = send(ada, "sms", "your code is Qx9Zt").put("idempotency_key", "k-1").toString();
      HttpResponse<String> sent = server.post("/api/communications", first);
      assertThat(sent.statusCode()).isEqualTo(202);
      long id = Running.json(sent).get("id").asLong();
      HttpResponse<String> again = server.post("/api/communications", first);
      assertThat(again.statusCode()).isEqualTo(202);
      assertThat(Running.json(again).get("id").asLong()).isEqualTo(id);
      List<Long> before = server.rowCounts();

      reused(server.post("/api/communications", send(bo, "sms", "your code is Qx9Zt").put("idempotency_key", "k-1")
          .toString()), "idempotency_key", "user_id");
      reused(server.post("/api/communications", send(ada, "sms", "another text").put("idempotency_key", "k-1")
          .toString()), "idempotency_key", "message");
      reused(server.post("/api/communications", send(ada, "email", "your code is Qx9Zt").put("subject", "s")
          .put("idempotency_key", "k-1").toString()), "idempotency_key", "channel");
      reused(server.post("/api/communications", send(ada, "sms", "your code is Qx9Zt").put("message_type", "otp")
          .put("idempotency_key", "k-1").toString()), "idempotency_key", "message_type");

      // in a batch: against a stored key, and against an earlier item of the same batch
      ObjectNode batch = Running.JSON.createObjectNode();
      batch.putArray("communications").add(send(ada, "sms", "new").put("idempotency_key", "k-2"))
          .add(send(bo, "sms", "your code is Qx9Zt").put("idempotency_key", "k-1"));
      reused(server.post("/api/communications/batch", batch.toString()), "communications[1].idempotency_key", "user_id");
      batch.putArray("communications").add(send(ada, "sms", "one").put("idempotency_key", "k-3"))
          .add(send(ada, "sms", "two").put("idempotency_key", "k-3"));
      reused(server.post("/api/communications/batch", batch.toString()), "communications[1].idempotency_key", "message");
      assertThat(server.rowCounts()).as("no row changed by a 422").isEqualTo(before);

      batch.putArray("communications").add(send(ada, "sms", "one").put("idempotency_key", "k-3"))
          .add(send(ada, "sms", "one").put("idempotency_key", "k-3"))
          .add(Running.JSON.readTree(first));
      HttpResponse<String> same = server.post("/api/communications/batch", batch.toString());
      assertThat(same.statusCode()).as(same.body()).isEqualTo(202);
      JsonNode items = Running.json(same).get("communications");
      assertThat(items.get(0).get("id").asLong()).isEqualTo(items.get(1).get("id").asLong());
      assertThat(items.get(2).get("id").asLong()).isEqualTo(id);
    }
  }

  private static void reused(HttpResponse<String> r, String field, String difference) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
    JsonNode problem = Running.json(r);
    assertThat(problem.get("type").asText()).isEqualTo(Problem.TYPE_IDEMPOTENCY);
    assertThat(ApiTest.fields(problem)).containsExactly(field);
    assertThat(problem.get("detail").asText()).contains(difference).contains("different request");
    assertThat(r.body()).doesNotContain("Qx9Zt").doesNotContain("\"id\"");
  }

  private static void bad(HttpResponse<String> r, String field) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
    assertThat(ApiTest.fields(Running.json(r))).as(r.body()).contains(field);
  }

  private static ObjectNode send(long user, String channel, String message) {
    return Running.JSON.createObjectNode().put("user_id", user).put("channel", channel).put("message", message);
  }

  private static String user(String email, String zone) {
    return Running.JSON.createObjectNode().put("email", email).put("phone", "+14155550199").put("timezone", zone)
        .toString();
  }
}
