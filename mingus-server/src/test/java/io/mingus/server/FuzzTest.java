package io.mingus.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.mingus.db.TestEngine;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A seeded fuzzer of the HTTP API: generated bodies, paths and queries for every {@code /api}
 * endpoint (valid ones mutated: a field of another type or a hostile string, a field dropped or
 * added, another document, another media type). Every answer must be below 500; every error a
 * problem document; and a refused request must change no row of any table. The seed is fixed so
 * a failure repeats; {@code -Dmingus.fuzz.seed=N} and {@code -Dmingus.fuzz.cases=N} explore more.
 */
class FuzzTest {
  private static final long SEED = Long.getLong("mingus.fuzz.seed", 20261203L);
  private static final int CASES = Integer.getInteger("mingus.fuzz.cases", 150);
  private static final List<String> TABLES = List.of("users", "communication_preferences", "communication_metrics",
      "user_engagement_metrics", "mingus_tasks");
  private static final List<String> STRINGS = List.of("", " ", "sms", "email", "SMS", "Europe/Paris", "UTC", "Z",
      "+05:00", "UTC+5", "SystemV/EST5", "a@b.com", "a@b..com", "<a@b.com>", "+14155550100", "22:00", "25:00", "07:00",
      "\u0000", "a\u0000b", "\u0007bell", "line\nbreak", "\t", "\ud800", "x\udc00y", "\ud83d\ude00", "日本語",
      "Robert'); DROP TABLE users; --", "' OR '1'='1", "%00", "%u0041", "../../etc/passwd", "${jndi:ldap://x}",
      "<script>alert(1)</script>", "\u202etxt", "x".repeat(300), "y".repeat(2000), "0", "-1", "1e999", "null");
  private static final List<String> NUMBERS = List.of("0", "-1", "1", "2", "3", "1.5", "-0", "1e400",
      "99999999999999999999999", "9223372036854775807", "10001", "10");
  private static final List<String> SEGMENTS = List.of("1", "2", "0", "-1", "abc", "%u0041", "%00", "%D9%A1", "+1",
      "99999999999999999999", "1%20", "%2e%2e", "1;x", "%25", "9223372036854775807", "%C3%28");

  @TempDir
  Path dir;

  record Case(String method, String target, String contentType, String body) {}

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void generated_requests_never_get_a_5xx_errors_are_problems_and_refusals_change_no_row(TestEngine engine) {
    Random random = new Random(SEED + engine.ordinal());
    try (Running server = Running.start(engine, dir, ServerSettings.defaults(), false, b -> b)) {
      server.createUser("fuzz-1@example.com", "+14155550101", "UTC");
      server.createUser("fuzz-2@example.com", null, "Europe/Berlin");
      int port = server.app.port();
      Map<String, String> before = snapshot(server);
      int refused = 0;
      for (int i = 0; i < CASES; i++) {
        Case c = generate(random);
        Map<String, String> headers = new LinkedHashMap<>();
        if (c.contentType() != null) {
          headers.put("Content-Type", c.contentType());
        }
        RawHttp r = RawHttp.send(port, c.method(), c.target(), headers, c.body());
        String what = "seed " + SEED + " case " + i + ": " + c + " -> " + r.status() + " " + r.body();
        assertThat(r.status()).as(what).isLessThan(500);
        Map<String, String> after = snapshot(server);
        if (r.status() >= 400) {
          refused++;
          assertThat(r.header("Content-Type")).as(what).startsWith("application/problem+json");
          if (!c.method().equals("HEAD")) {
            JsonNode problem = r.json();
            assertThat(problem.get("status").asInt()).as(what).isEqualTo(r.status());
            assertThat(problem.get("detail").asText()).as(what).isNotBlank().doesNotContain("Exception");
          }
          assertThat(after).as("rows after a refused request: " + what).isEqualTo(before);
        }
        before = after;
      }
      assertThat(refused).as("most generated requests are refused").isGreaterThan(CASES / 2);
    }
  }

  private static Case generate(Random random) {
    int user = 1 + random.nextInt(2);
    return switch (random.nextInt(8)) {
      case 0 -> json(random, "POST", "/api/users", Map.of("email", quote("f" + random.nextInt(1_000_000) + "@example.com"),
          "phone", quote("+1415555" + (1000 + random.nextInt(9000))), "timezone", quote("Europe/Paris")));
      case 1 -> json(random, "PUT", "/api/users/" + user + "/preferences", Map.of("sms_enabled", "true",
          "quiet_hours_start", quote("22:00"), "quiet_hours_end", quote("07:00"), "daily_limit", "20"));
      case 2, 3 -> json(random, "POST", "/api/communications", send(random, user));
      case 4 -> {
        StringBuilder items = new StringBuilder("[");
        int n = 1 + random.nextInt(3);
        for (int k = 0; k < n; k++) {
          items.append(k == 0 ? "" : ",").append(object(send(random, user)));
        }
        yield json(random, "POST", "/api/communications/batch", Map.of("communications", items + "]"));
      }
      case 5 -> new Case("GET", "/api/communications?" + pick(random, List.of("user_id", "status", "channel", "limit",
          "cursor", "colour", "%ZZ", "user_id%00")) + "=" + pick(random, SEGMENTS), null, null);
      case 6 -> new Case(pick(random, List.of("GET", "HEAD", "DELETE", "PATCH", "PUT")), "/api/"
          + pick(random, List.of("users/", "communications/", "users/1/", "")) + pick(random, SEGMENTS)
          + pick(random, List.of("", "/preferences", "/engagement", "/x")), null, null);
      default -> new Case("POST", pick(random, List.of("/api/users", "/api/communications", "/api/communications/batch")),
          pick(random, List.of("application/json", "text/plain", "application/x-www-form-urlencoded")),
          pick(random, List.of("", "null", "[]", "1", "\"x\"", "{", "{\"a\":", "{}", "{\"user_id\":1,\"user_id\":2}",
              "[".repeat(3000), "{\"communications\":" + "[".repeat(1500) + "}", "\u0000", "{\"email\":\"\\u0000\"}")));
    };
  }

  private static Map<String, String> send(Random random, int user) {
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("user_id", Integer.toString(user));
    fields.put("channel", quote(random.nextBoolean() ? "sms" : "email"));
    fields.put("message", quote("hello " + random.nextInt(1000)));
    fields.put("subject", quote("subject"));
    if (random.nextBoolean()) {
      fields.put("idempotency_key", quote("k-" + random.nextInt(20)));
    }
    return fields;
  }

  /** A valid body, mostly mutated: a field's value replaced, a field dropped or added. */
  private static Case json(Random random, String method, String path, Map<String, String> valid) {
    Map<String, String> fields = new LinkedHashMap<>(valid);
    List<String> names = new ArrayList<>(fields.keySet());
    switch (random.nextInt(5)) {
      case 0 -> { }
      case 1 -> fields.remove(pick(random, names));
      case 2 -> fields.put(pick(random, List.of("colour", "id", "status", "__proto__", "user_id\u0000")), value(random));
      default -> fields.put(pick(random, names), value(random));
    }
    return new Case(method, path, random.nextInt(20) == 0 ? "text/plain" : "application/json", object(fields));
  }

  private static String value(Random random) {
    return switch (random.nextInt(6)) {
      case 0, 1 -> quote(pick(random, STRINGS));
      case 2 -> pick(random, NUMBERS);
      case 3 -> pick(random, List.of("true", "false", "null"));
      case 4 -> pick(random, List.of("[]", "[1]", "[\"sms\"]", "[22, 0]", "[[[[]]]]"));
      default -> pick(random, List.of("{}", "{\"a\": 1}", "{\"user_id\": 1}"));
    };
  }

  private static String object(Map<String, String> fields) {
    StringBuilder out = new StringBuilder("{");
    fields.forEach((k, v) -> out.append(out.length() > 1 ? "," : "").append(quote(k)).append(':').append(v));
    return out.append('}').toString();
  }

  /** A JSON string with every character outside printable ASCII escaped (lone surrogates too). */
  static String quote(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c > 0x7e) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }

  private static <T> T pick(Random random, List<T> from) {
    return from.get(random.nextInt(from.size()));
  }

  /** Every row of every table the API writes, as text: a refused request must leave it equal. */
  private static Map<String, String> snapshot(Running server) {
    Map<String, String> tables = new LinkedHashMap<>();
    try (Connection c = server.testDb.rawConnection(); Statement st = c.createStatement()) {
      for (String table : TABLES) {
        StringBuilder rows = new StringBuilder();
        try (ResultSet rs = st.executeQuery("SELECT * FROM " + table + " ORDER BY 1")) {
          ResultSetMetaData meta = rs.getMetaData();
          while (rs.next()) {
            for (int col = 1; col <= meta.getColumnCount(); col++) {
              rows.append(rs.getString(col)).append('|');
            }
            rows.append('\n');
          }
        }
        tables.put(table, rows.toString());
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return tables;
  }
}
