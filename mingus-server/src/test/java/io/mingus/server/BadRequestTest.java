package io.mingus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.mingus.db.TestEngine;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BadRequestTest {
  @TempDir
  Path dir;

  /** One bad request: how to send it (given a real user id), the status, and the field it must name. */
  record Bad(String name, Function<Long, Req> request, int status, String field) {}

  record Req(String method, String path, String body) {}

  static List<Bad> table() {
    String big = "{\"user_id\": 1, \"channel\": \"sms\", \"message\": \"" + "x".repeat(1024 * 1024) + "\"}";
    ArrayNode tooMany = Running.JSON.createArrayNode();
    for (int i = 0; i < 1001; i++) {
      tooMany.addObject().put("user_id", 1).put("channel", "sms").put("message", "m");
    }
    String batch = Running.JSON.createObjectNode().set("communications", tooMany).toString();
    return List.of(
        new Bad("malformed JSON", u -> post("/api/communications", "{\"user_id\": " + u + ", \"channel\": "), 400, "body"),
        new Bad("not an object", u -> post("/api/communications", "[1, 2]"), 400, "body"),
        new Bad("empty body", u -> post("/api/users", ""), 400, "body"),
        new Bad("unknown field", u -> post("/api/users",
            "{\"email\": \"new@example.com\", \"phone\": \"+14155550100\", \"timezone\": \"UTC\", \"nickname\": \"n\"}"),
            400, "nickname"),
        new Bad("wrong type: string for a number", u -> post("/api/communications",
            "{\"user_id\": \"" + u + "\", \"channel\": \"sms\", \"message\": \"m\"}"), 400, "user_id"),
        new Bad("wrong type: number for a string", u -> post("/api/communications",
            "{\"user_id\": " + u + ", \"channel\": \"sms\", \"message\": 12}"), 400, "message"),
        new Bad("wrong type: string for a boolean", u -> put("/api/users/" + u + "/preferences",
            "{\"sms_enabled\": \"no\"}"), 400, "sms_enabled"),
        new Bad("missing field", u -> post("/api/communications", "{\"channel\": \"sms\", \"message\": \"m\"}"),
            400, "user_id"),
        new Bad("bad channel", u -> post("/api/communications",
            "{\"user_id\": " + u + ", \"channel\": \"fax\", \"message\": \"m\"}"), 400, "channel"),
        new Bad("blank message", u -> post("/api/communications",
            "{\"user_id\": " + u + ", \"channel\": \"sms\", \"message\": \"  \"}"), 400, "message"),
        new Bad("number out of range", u -> post("/api/communications",
            "{\"user_id\": 99999999999999999999999, \"channel\": \"sms\", \"message\": \"m\"}"), 400, null),
        new Bad("daily limit out of range", u -> put("/api/users/" + u + "/preferences", "{\"daily_limit\": -1}"),
            400, "daily_limit"),
        new Bad("bad time of day", u -> put("/api/users/" + u + "/preferences",
            "{\"quiet_hours_start\": \"25:00\", \"quiet_hours_end\": \"07:00\"}"), 400, "quiet_hours_start"),
        new Bad("bad email", u -> post("/api/users",
            "{\"email\": \"not-an-email\", \"phone\": \"+14155550100\", \"timezone\": \"UTC\"}"), 400, "email"),
        new Bad("limit too small", u -> get("/api/communications?limit=0"), 400, "limit"),
        new Bad("limit too large", u -> get("/api/communications?limit=1001"), 400, "limit"),
        new Bad("unknown query parameter", u -> get("/api/communications?colour=red"), 400, "colour"),
        new Bad("bad status filter", u -> get("/api/communications?status=lost"), 400, "status"),
        new Bad("id not a number", u -> get("/api/users/abc"), 400, "id"),
        new Bad("batch over 1,000", u -> post("/api/communications/batch", batch), 400, "communications"),
        new Bad("body over 1 MiB", u -> post("/api/communications", big), 413, null),
        new Bad("unknown user id", u -> get("/api/users/987654321"), 404, null),
        new Bad("unknown communication id", u -> get("/api/communications/987654321"), 404, null),
        new Bad("send to an unknown user", u -> post("/api/communications",
            "{\"user_id\": 987654321, \"channel\": \"sms\", \"message\": \"m\"}"), 400, "user_id"),
        new Bad("unknown path", u -> get("/api/nothing-here"), 404, null));
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void every_bad_request_gets_its_4xx_problem_and_changes_nothing(TestEngine engine) {
    try (Running server = Running.start(engine, dir, ServerSettings.defaults(), false, b -> b)) {
      long user = server.createUser("only@example.com", "+14155550199", "UTC");
      List<Long> before = server.rowCounts();
      for (Bad bad : table()) {
        Req req = bad.request().apply(user);
        HttpResponse<String> r = switch (req.method()) {
          case "GET" -> server.get(req.path());
          case "PUT" -> server.put(req.path(), req.body());
          default -> server.post(req.path(), req.body());
        };
        assertThat(r.statusCode()).as(bad.name() + ": " + r.body()).isEqualTo(bad.status());
        assertThat(r.headers().firstValue("Content-Type")).as(bad.name())
            .hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
        JsonNode problem = Running.json(r);
        assertThat(problem.get("status").asInt()).as(bad.name()).isEqualTo(bad.status());
        assertThat(problem.fieldNames()).toIterable().as(bad.name())
            .contains("type", "title", "status", "detail", "instance", "request_id");
        assertThat(problem.get("instance").asText()).as(bad.name()).isEqualTo(req.path().replaceFirst("\\?.*", ""));
        assertThat(r.headers().firstValue("X-Request-Id")).as(bad.name()).hasValue(problem.get("request_id").asText());
        if (bad.field() != null) {
          assertThat(ApiTest.fields(problem)).as(bad.name() + ": " + r.body()).contains(bad.field());
        }
        assertThat(server.rowCounts()).as("rows after " + bad.name()).isEqualTo(before);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_problem_never_echoes_the_message_text_and_a_chunked_body_over_1_mib_is_a_413(TestEngine engine) {
    try (Running server = Running.start(engine, dir, ServerSettings.defaults(), false, b -> b)) {
      byte[] big = ("{\"user_id\": 1, \"channel\": \"sms\", \"message\": \"" + "y".repeat(1100 * 1024) + "\"}")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
      HttpResponse<String> chunked = server.send(java.net.http.HttpRequest.newBuilder(server.uri("/api/communications"))
          .header("Content-Type", "application/json")
          .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big))));
      assertThat(chunked.statusCode()).isEqualTo(413);
      assertThat(Running.json(chunked).get("status").asInt()).isEqualTo(413);

      HttpResponse<String> r = server.post("/api/communications",
          "{\"user_id\": 1, \"channel\": \"fax\", \"message\": \"secret-code-4711\"}");
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(r.body()).doesNotContain("secret-code-4711");
    }
  }

  /**
   * A client that sends an over-limit body without waiting for {@code 100 Continue} still reads its
   * 413: the server reads and discards the body before answering. Answering at once (as before)
   * made Jetty close the connection on unread bytes, a TCP reset that under load reached the client
   * before the answer did. A client that asks for {@code 100 Continue} gets the 413 without sending
   * its body at all.
   */
  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void an_over_limit_body_gets_its_413_whether_or_not_the_client_waits_for_100_continue(TestEngine engine)
      throws IOException {
    try (Running server = Running.start(engine, dir, ServerSettings.defaults(), false, b -> b)) {
      List<Long> before = server.rowCounts();
      byte[] body = new byte[3 * 1024 * 1024];
      java.util.Arrays.fill(body, (byte) 'z');
      URI uri = server.uri("/api/communications");
      String head = "POST /api/communications HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + body.length + "\r\n";

      try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
        OutputStream out = socket.getOutputStream();
        InputStream in = socket.getInputStream();
        out.write((head + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body, 0, 1024);
        out.flush();
        socket.setSoTimeout(500);
        assertThatThrownBy(in::read).as("no answer while the body is still coming")
            .isInstanceOf(SocketTimeoutException.class);
        socket.setSoTimeout(30_000);
        out.write(body, 1024, body.length - 1024);
        out.flush();
        assertThat(response(in)).startsWith("HTTP/1.1 413 ").contains("\"status\":413");
        out.write("GET /api/nothing-here HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        assertThat(response(in)).as("the connection is still usable").startsWith("HTTP/1.1 404 ");
      }

      try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
        socket.setSoTimeout(30_000);
        socket.getOutputStream().write((head + "Expect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        assertThat(response(socket.getInputStream())).startsWith("HTTP/1.1 413 ");
      }

      HttpResponse<String> r = server.send(HttpRequest.newBuilder(uri).expectContinue(true)
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)));
      assertThat(r.statusCode()).isEqualTo(413);
      assertThat(Running.json(r).get("status").asInt()).isEqualTo(413);
      assertThat(server.rowCounts()).isEqualTo(before);
    }
  }

  /** One HTTP/1.1 response with a Content-Length body: its head and body as text. */
  private static String response(InputStream in) throws IOException {
    StringBuilder text = new StringBuilder();
    int length = 0;
    for (String line; !(line = line(in)).isEmpty(); ) {
      text.append(line).append('\n');
      if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
        length = Integer.parseInt(line.substring(15).strip());
      }
    }
    return text.append('\n').append(new String(in.readNBytes(length), StandardCharsets.UTF_8)).toString();
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c; (c = in.read()) != '\n'; ) {
      if (c == -1) {
        throw new java.io.EOFException("the server closed the connection after: " + line);
      }
      line.append((char) c);
    }
    return line.toString().strip();
  }

  private static Req post(String path, String body) {
    return new Req("POST", path, body);
  }

  private static Req put(String path, String body) {
    return new Req("PUT", path, body);
  }

  private static Req get(String path) {
    return new Req("GET", path, null);
  }
}
