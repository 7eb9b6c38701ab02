package io.mingus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.mingus.db.TestEngine;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /openapi.json} and the server agree: every route the server has is documented, and every
 * documented operation, called with the document's own examples, answers with one of the statuses
 * it documents (problems as {@code application/problem+json}), never "no such endpoint".
 */
class OpenApiTest {
  private static final String TOKEN = "openapi-test-admin-token-0123";
  private static final List<String> METHODS = List.of("get", "put", "post", "delete", "patch");

  @TempDir
  Path dir;

  @Test
  void every_route_is_documented_and_every_documented_operation_answers_as_documented() {
    try (Running server = Running.start(TestEngine.H2, dir, ServerSettings.defaults().withAdminToken(TOKEN), true, b -> b)) {
      HttpResponse<String> response = server.get("/openapi.json");
      assertThat(response.statusCode()).isEqualTo(200);
      JsonNode doc = Running.json(response);
      assertThat(doc.get("openapi").asText()).startsWith("3.1.");

      TreeSet<String> documented = new TreeSet<>();
      doc.get("paths").properties().forEach(path -> METHODS.forEach(m -> {
        if (path.getValue().has(m)) {
          documented.add(m.toUpperCase(Locale.ROOT) + " " + path.getKey());
        }
      }));
      TreeSet<String> routes = new TreeSet<>();
      server.app.routes().stream().filter(r -> METHODS.contains(r.split(" ")[0].toLowerCase(Locale.ROOT)))
          .forEach(routes::add);
      assertThat(documented).as("documented operations").isEqualTo(routes);

      // the examples' ids exist: user 1, communication 1 (sent by now) and its task 1
      server.createUser("ada@example.com", "+14155550123", "Europe/London");
      server.post("/api/communications", "{\"user_id\": 1, \"channel\": \"sms\", \"message\": \"hi\"}");
      await().atMost(Duration.ofSeconds(30)).until(() -> server.outboxLines().size() == 1);

      List<String> failures = new ArrayList<>();
      doc.get("paths").properties().forEach(path -> METHODS.forEach(m -> {
        JsonNode op = path.getValue().get(m);
        if (op != null) {
          check(server, doc, path.getKey(), m, op, failures);
        }
      }));
      assertThat(failures).as("operations that did not answer as documented").isEmpty();
    }
  }

  private static void check(Running server, JsonNode doc, String path, String method, JsonNode op, List<String> failures) {
    String url = path;
    StringBuilder query = new StringBuilder();
    for (JsonNode p : op.path("parameters")) {
      JsonNode example = p.get("example");
      if (example == null) {
        continue;
      }
      if (p.get("in").asText().equals("path")) {
        url = url.replace("{" + p.get("name").asText() + "}", example.asText());
      } else {
        query.append(query.isEmpty() ? "?" : "&").append(p.get("name").asText()).append('=').append(example.asText());
      }
    }
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.app.port() + url + query))
        .header("Authorization", "Bearer " + TOKEN);
    JsonNode body = op.path("requestBody").path("content").path("application/json").get("example");
    request.method(method.toUpperCase(Locale.ROOT), body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body.toString()));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    HttpResponse<String> answer = server.send(request);
    String what = method.toUpperCase(Locale.ROOT) + " " + url + query + " -> " + answer.statusCode() + " " + answer.body();
    JsonNode documented = op.get("responses").get(Integer.toString(answer.statusCode()));
    if (documented == null) {
      failures.add(what + ": status not documented");
      return;
    }
    JsonNode response = resolve(doc, documented);
    String type = answer.headers().firstValue("Content-Type").orElse("");
    JsonNode content = response.get("content");
    if (content != null) {
      boolean declared = false;
      for (Iterator<String> it = content.fieldNames(); it.hasNext(); ) {
        declared |= type.startsWith(it.next());
      }
      if (!declared) {
        failures.add(what + ": content type " + type + " not documented for " + answer.statusCode());
      }
    }
    if (answer.body().contains("no endpoint")) {
      failures.add(what + ": no such endpoint");
    }
  }

  private static JsonNode resolve(JsonNode doc, JsonNode node) {
    JsonNode ref = node.get("$ref");
    if (ref == null) {
      return node;
    }
    JsonNode target = doc;
    for (String part : ref.asText().substring(2).split("/")) {
      target = target == null ? null : target.get(part);
    }
    return target;
  }

  @Test
  void the_document_names_a_schema_for_every_reference() {
    try (Running server = Running.start(TestEngine.H2, dir, ServerSettings.defaults(), false, b -> b)) {
      JsonNode doc = Running.json(server.get("/openapi.json"));
      List<String> missing = new ArrayList<>();
      references(doc, doc, missing);
      assertThat(missing).isEmpty();
      List<String> undocumented = new ArrayList<>();
      doc.get("paths").properties().forEach(path -> METHODS.forEach(m -> {
        JsonNode op = path.getValue().get(m);
        if (op != null && op.has("requestBody") && !op.get("responses").has("415")) {
          undocumented.add(m + " " + path.getKey() + ": 415");
        }
      }));
      assertThat(undocumented).as("operations with a body that do not document 415").isEmpty();
      assertThat(doc.at("/components/responses/MethodNotAllowed/headers/Allow").isMissingNode()).isFalse();
      assertThat(doc.at("/paths/~1api~1communications/post/responses/422").isMissingNode()).isFalse();
      assertThat(doc.at("/paths/~1api~1communications~1batch/post/responses/422").isMissingNode()).isFalse();
    }
  }

  private static void references(JsonNode doc, JsonNode node, List<String> missing) {
    if (node.isObject()) {
      JsonNode ref = node.get("$ref");
      if (ref != null && resolve(doc, node) == null) {
        missing.add(ref.asText());
      }
      node.elements().forEachRemaining(child -> references(doc, child, missing));
    } else if (node.isArray()) {
      node.elements().forEachRemaining(child -> references(doc, child, missing));
    }
  }
}
