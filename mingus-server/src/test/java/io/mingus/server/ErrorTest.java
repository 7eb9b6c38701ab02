package io.mingus.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import io.mingus.db.LogCapture;
import io.mingus.db.TestEngine;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ErrorTest {
  @TempDir
  Path dir;

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void an_unexpected_error_is_a_500_whose_stack_is_logged_once_under_the_request_id(TestEngine engine)
      throws Exception {
    try (Running server = Running.start(engine, dir, ServerSettings.defaults(), false, b -> b);
        LogCapture log = LogCapture.of(Level.WARN, "io.mingus.server")) {
      long user = server.createUser("ju@example.com", "+14155550150", "UTC");
      try (Connection c = server.testDb.rawConnection(); Statement st = c.createStatement()) {
        st.execute("DROP TABLE user_engagement_metrics");
      }
      HttpResponse<String> r = server.get("/api/users/" + user + "/engagement", "X-Request-Id", "trace-4711");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(500);
      assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
      assertThat(r.headers().firstValue("X-Request-Id")).hasValue("trace-4711");
      JsonNode problem = Running.json(r);
      assertThat(problem.get("request_id").asText()).isEqualTo("trace-4711");
      assertThat(problem.get("detail").asText()).contains("trace-4711");
      assertThat(r.body()).doesNotContainIgnoringCase("user_engagement_metrics").doesNotContain("at io.mingus");

      List<ILoggingEvent> errors = log.events().stream().filter(e -> e.getLevel() == Level.ERROR).toList();
      HttpResponse<String> plain = server.get("/api/users/987654321", "X-Request-Id", "bad id\twith spaces");
      assertThat(plain.statusCode()).isEqualTo(404);
      String replaced = plain.headers().firstValue("X-Request-Id").orElseThrow();
      assertThat(replaced).as("a request id that is not a plain token is replaced").matches("[0-9a-f-]{36}");
      assertThat(Running.json(plain).get("request_id").asText()).isEqualTo(replaced);

      assertThat(errors).singleElement().satisfies(e -> {
        assertThat(e.getFormattedMessage()).contains("trace-4711", "/api/users/" + user + "/engagement");
        assertThat(e.getThrowableProxy()).isNotNull();
      });
    }
  }
}
