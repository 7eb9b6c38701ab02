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
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A PostgreSQL outage, simulated by cutting a TCP proxy between the server and the database. */
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
}
