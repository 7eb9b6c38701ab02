package io.mingus.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.mingus.db.TestEngine;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Hostile requests at the edge of the server: escapes, methods, media types, Jetty's own errors, headers. */
class HttpEdgeTest {
  private static final Map<String, String> JSON = Map.of("Content-Type", "application/json");

  @TempDir
  Path dir;

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void hostile_requests_get_problem_documents_and_change_nothing(TestEngine engine) {
    try (Running server = Running.start(engine, dir, ServerSettings.defaults(), false, b -> b)) {
      int port = server.app.port();
      long user = server.createUser("edge@example.com", "+14155550100", "UTC");
      List<Long> before = server.rowCounts();

      // a %u escape in a path parameter was a 500 with an ERROR in the log
      problem(RawHttp.get(port, "/api/users/%u0041"), 400, "id");
      problem(RawHttp.get(port, "/api/communications/%u0031"), 400, "id");
      // ids are ASCII digits only: Long.parseLong takes "+1" and Arabic-Indic digits
      problem(RawHttp.get(port, "/api/users/%D9%A1"), 400, "id");
      problem(RawHttp.get(port, "/api/users/+1"), 400, "id");
      // a malformed query escape was dropped silently, so the filter was lost
      problem(RawHttp.get(port, "/api/communications?user_id=5%ZZ"), 400, "user_id");
      problem(RawHttp.get(port, "/api/communications?status=sent&user_id=%u0035"), 400, "user_id");
      problem(RawHttp.get(port, "/api/communications?limit=%E2%91%A0"), 400, "limit");

      // Jetty's own refusals, before any route: problem documents, not HTML
      problem(RawHttp.get(port, "/api/users/%ZZ"), 400, null);
      problem(RawHttp.get(port, "/api/users/%C3%28"), 400, null); // escapes that are not UTF-8
      // found by FuzzTest: Jetty wrote an empty body for methods other than GET, POST and HEAD
      problem(RawHttp.send(port, "DELETE", "/api/users/%C3%28/preferences", Map.of(), null), 400, null);
      problem(RawHttp.send(port, "PUT", "/api/users/%ZZ/preferences", JSON, "{}"), 400, null);
      problem(RawHttp.get(port, "/api/users/" + "1".repeat(10_000)), 414, null);
      problem(RawHttp.send(port, "GET", "/api/users/" + user, Map.of("X-Big", "b".repeat(10_000)), null), 431, null);

      // bodies must be JSON: a page of another site can post text/plain or a form without a preflight
      String body = "{\"email\": \"x@example.com\", \"phone\": \"+14155550101\", \"timezone\": \"UTC\"}";
      problem(RawHttp.send(port, "POST", "/api/users", Map.of("Content-Type", "text/plain"), body), 415, null);
      problem(RawHttp.send(port, "POST", "/api/users", Map.of("Content-Type", "application/x-www-form-urlencoded"),
          "email=x%40example.com"), 415, null);
      problem(RawHttp.send(port, "POST", "/api/users", Map.of(), body), 415, null);
      problem(RawHttp.send(port, "POST", "/api/communications", Map.of("Content-Type", "application/json; charset=latin1"),
          "{}"), 415, null);
      problem(RawHttp.send(port, "PUT", "/api/users/" + user + "/preferences", Map.of("Content-Type", "text/plain"),
          "{\"sms_enabled\": false}"), 415, null);
      RawHttp unsupported = RawHttp.send(port, "POST", "/api/communications", Map.of("Content-Type", "text/plain"), "{}");
      assertThat(unsupported.json().get("type").asText()).isEqualTo(Problem.TYPE_UNSUPPORTED);

      // a wrong method is a 405 naming the right ones; HEAD runs GET
      RawHttp delete = RawHttp.send(port, "DELETE", "/api/users/" + user, Map.of(), null);
      problem(delete, 405, null);
      assertThat(delete.header("Allow")).isEqualTo("GET, HEAD");
      RawHttp put = RawHttp.send(port, "PUT", "/api/communications", JSON, "{}");
      problem(put, 405, null);
      assertThat(put.header("Allow")).isEqualTo("GET, HEAD, POST");
      problem(RawHttp.send(port, "PATCH", "/api/users/" + user + "/preferences", JSON, "{}"), 405, null);
      assertThat(RawHttp.send(port, "HEAD", "/api/users/" + user, Map.of(), null).status()).isEqualTo(200);
      RawHttp headMissing = RawHttp.send(port, "HEAD", "/api/users/987654321", Map.of(), null);
      assertThat(headMissing.status()).isEqualTo(404);
      assertThat(headMissing.body()).isEmpty();
      assertThat(RawHttp.send(port, "HEAD", "/api/users/abc", Map.of(), null).status()).isEqualTo(400);
      assertThat(RawHttp.send(port, "HEAD", "/nothing-here", Map.of(), null).status()).isEqualTo(404);

      // a body cut off before its end says so, naming no exception class
      RawHttp cut = cutOff(port);
      problem(cut, 400, "body");
      assertThat(cut.body()).contains("cut off").doesNotContain("Exception").doesNotContain("org.eclipse");

      assertThat(server.rowCounts()).as("no row changed by a refused request").isEqualTo(before);
    }
  }

  @Test
  void every_response_carries_the_security_headers() {
    try (Running server = Running.start(TestEngine.H2, dir, ServerSettings.defaults(), false, b -> b)) {
      int port = server.app.port();
      long user = server.createUser("headers@example.com", "+14155550102", "UTC");
      for (String path : List.of("/api/users/" + user, "/api/users/987654321", "/health/live", "/openapi.json",
          "/admin/tasks", "/dashboard", "/nothing", "/api/users/%ZZ")) {
        RawHttp r = RawHttp.get(port, path);
        assertThat(r.header("X-Content-Type-Options")).as(path).isEqualTo("nosniff");
        assertThat(r.header("Referrer-Policy")).as(path).isEqualTo("no-referrer");
        assertThat(r.header("Content-Security-Policy")).as(path).contains("frame-ancestors 'none'");
        if (path.startsWith("/api") || path.startsWith("/admin")) {
          assertThat(r.header("Cache-Control")).as(path).contains("no-store");
        }
      }
      RawHttp page = RawHttp.get(port, "/dashboard");
      assertThat(page.header("Content-Type")).startsWith("text/html");
      assertThat(page.header("Content-Security-Policy")).startsWith("default-src 'self'");
    }
  }

  @Test
  void a_stalled_body_is_reported_as_not_received_in_time() {
    HttpProblem p = Bodies.unreadable(new IOException("Idle timeout expired: 30000/30000 ms",
        new TimeoutException("Idle timeout expired")));
    assertThat(p.getMessage()).isEqualTo("body was not received in time: send the whole body promptly");
    assertThat(p.status()).isEqualTo(400);
  }

  @Test
  void query_escapes_are_strict() {
    assertThat(HttpEdge.decode("a%20b+c")).isEqualTo("a b c");
    assertThat(HttpEdge.decode("%E2%82%AC")).isEqualTo("\u20ac");
    assertThat(HttpEdge.decode("%")).isNull();
    assertThat(HttpEdge.decode("%4")).isNull();
    assertThat(HttpEdge.decode("%ZZ")).isNull();
    assertThat(HttpEdge.decode("%u0041")).isNull();
    assertThat(HttpEdge.decode("%FF")).isNull();
  }

  private static RawHttp cutOff(int port) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(30_000);
      String head = "POST /api/communications HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Content-Length: 100\r\nConnection: close\r\n\r\n{\"user_id\": 1";
      socket.getOutputStream().write(head.getBytes(StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
      socket.shutdownOutput();
      try (InputStream in = socket.getInputStream()) {
        String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        int end = response.indexOf("\r\n\r\n");
        int status = Integer.parseInt(response.split(" ")[1]);
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        for (String line : response.substring(0, end).split("\r\n")) {
          int colon = line.indexOf(':');
          if (colon > 0) {
            headers.put(line.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT), line.substring(colon + 1).trim());
          }
        }
        String body = response.substring(end + 4);
        return new RawHttp(status, headers, body.startsWith("{") ? body : body.substring(body.indexOf('{'),
            body.lastIndexOf('}') + 1));
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void problem(RawHttp r, int status, String field) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.header("Content-Type")).as(r.body()).startsWith("application/problem+json");
    JsonNode problem = r.json();
    assertThat(problem.get("status").asInt()).isEqualTo(status);
    assertThat(problem.get("request_id").asText()).isNotBlank();
    assertThat(r.header("X-Content-Type-Options")).isEqualTo("nosniff");
    if (field != null) {
      assertThat(ApiTest.fields(problem)).as(r.body()).contains(field);
    }
  }
}
