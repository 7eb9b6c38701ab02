package io.mingus.server;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.mingus.db.Database;
import io.mingus.db.HealthReport;
import io.mingus.db.HealthStatus;
import io.mingus.db.PoolHealth;
import io.mingus.db.PoolName;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The operational endpoints: {@code /health/database}, {@code /metrics/database} and
 * {@code /dashboard/database}, Prometheus's {@code /metrics}, and the probes {@code /health/live}
 * (the process answers; no database) and {@code /health/ready} (the main pool reaches the
 * database; with its breaker's state and how long it has been open).
 */
final class HealthRoutes {
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final Database db;
  private final DatabaseDocuments documents;
  private final PrometheusMeterRegistry prometheus;

  HealthRoutes(Database db, DatabaseDocuments documents, PrometheusMeterRegistry prometheus) {
    this.db = db;
    this.documents = documents;
    this.prometheus = prometheus;
  }

  void register(RoutesConfig routes) {
    routes.get("/health/live", ctx -> ctx.json(Map.of("status", "alive")));
    routes.get("/health/ready", this::ready);
    routes.get("/health/database", this::health);
    routes.get("/metrics/database", ctx -> ctx.json(documents.metrics()));
    routes.get("/dashboard/database", ctx -> ctx.json(documents.dashboard()));
    routes.get("/metrics", ctx -> ctx.contentType(PROMETHEUS_TEXT).result(prometheus.scrape()));
  }

  private void health(Context ctx) {
    DatabaseDocuments.Health health = documents.health();
    ctx.status(health.healthy() ? 200 : 503).json(health.document());
  }

  private void ready(Context ctx) {
    HealthReport report = db.health();
    PoolHealth main = report.pools().get(PoolName.MAIN);
    boolean ready = main != null && main.status() != HealthStatus.UNHEALTHY;
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("status", ready ? "ready" : "not_ready");
    doc.put("database", main == null ? "unknown" : main.status().label());
    if (main != null) {
      doc.put("circuit_breaker", main.circuitBreaker().label());
      DatabaseDocuments.putBreakerTimes(doc, main, report.checkedAt());
    }
    if (!ready && main != null && main.error() != null) {
      doc.put("error", main.error());
    }
    ctx.status(ready ? 200 : 503).json(doc);
  }
}
