package io.mingus.server;

import io.mingus.db.Database;
import io.mingus.db.HealthReport;
import io.mingus.db.HealthStatus;
import io.mingus.db.PerformanceMetrics;
import io.mingus.db.PoolHealth;
import io.mingus.db.PoolMetrics;
import io.mingus.db.PoolName;
import io.mingus.db.SessionStats;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The three database documents, whose field names are a public contract: {@code
 * /health/database}, {@code /metrics/database} and {@code /dashboard/database}. Pools appear
 * under {@code main}, {@code worker} and {@code analytics}. Times named {@code ..._ms} are
 * milliseconds; {@code average_checkout_time}, which has no unit in its name, is in seconds. Thread-safe.
 */
final class DatabaseDocuments {
  private final Database db;
  private final InstantSource clock;

  DatabaseDocuments(Database db, InstantSource clock) {
    this.db = db;
    this.clock = clock;
  }

  /** The health document and whether it is healthy (200) or not (503). */
  record Health(boolean healthy, Map<String, Object> document) {}

  Health health() {
    HealthReport report = db.health();
    PoolHealth main = report.pools().get(PoolName.MAIN);
    boolean sessionsHealthy = main != null && main.status() != HealthStatus.UNHEALTHY;
    boolean healthy = report.healthy() && sessionsHealthy;
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("status", healthy ? "healthy" : "degraded");
    doc.put("session_manager", sessionManager(report.stats(), sessionsHealthy));
    doc.put("connection_pools", poolHealth(report));
    doc.put("timestamp", report.checkedAt().toString());
    return new Health(healthy, doc);
  }

  Map<String, Object> metrics() {
    Map<String, Object> pools = new LinkedHashMap<>();
    db.pools().metrics().forEach((name, m) -> pools.put(name.label(), poolMetrics(m)));
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("pool_metrics", pools);
    doc.put("performance_metrics", performance(db.pools().performance()));
    doc.put("timestamp", clock.instant().toString());
    return doc;
  }

  Map<String, Object> dashboard() {
    HealthReport report = db.health();
    Map<PoolName, PoolMetrics> metrics = db.pools().metrics();
    PerformanceMetrics performance = db.pools().performance();
    long total = metrics.values().stream().mapToLong(PoolMetrics::total).sum();
    long active = metrics.values().stream().mapToLong(PoolMetrics::checkedOut).sum();
    Map<String, Object> kpis = new LinkedHashMap<>();
    kpis.put("total_connections", total);
    kpis.put("active_connections", active);
    kpis.put("connection_utilization", (double) active / Math.max(total, 1));
    kpis.put("error_rate", (double) performance.totalErrors() / Math.max(performance.totalCheckouts(), 1));
    kpis.put("average_checkout_time", seconds(performance.averageCheckoutTime()));
    kpis.put("average_checkout_time_ms", millis(performance.averageCheckoutTime()));
    Map<String, Object> pools = new LinkedHashMap<>();
    metrics.forEach((name, m) -> {
      PoolHealth h = report.pools().get(name);
      Map<String, Object> pm = new LinkedHashMap<>();
      pm.put("pool_size", m.poolSize());
      pm.put("checked_out", m.checkedOut());
      pm.put("checked_in", m.checkedIn());
      pm.put("overflow", m.overflow());
      pm.put("errors", m.connectionErrors());
      Map<String, Object> pool = new LinkedHashMap<>();
      pool.put("health", h == null ? "unknown" : h.status().label());
      pool.put("metrics", pm);
      pools.put(name.label(), pool);
    });
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("status", report.status().label());
    doc.put("health_status", poolHealth(report));
    doc.put("kpis", kpis);
    doc.put("pools", pools);
    doc.put("timestamp", report.checkedAt().toString());
    return doc;
  }

  private static Map<String, Object> sessionManager(SessionStats s, boolean healthy) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("status", healthy ? "healthy" : "unhealthy");
    doc.put("total_sessions", s.total());
    doc.put("active_sessions", s.active());
    doc.put("failed_sessions", s.failed());
    doc.put("transaction_rollbacks", s.rollbacks());
    doc.put("committed", s.committed());
    doc.put("retries", s.retries());
    doc.put("slow_queries", s.slowQueries());
    return doc;
  }

  private static Map<String, Object> poolHealth(HealthReport report) {
    Map<String, Object> pools = new LinkedHashMap<>();
    report.pools().forEach((name, h) -> {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("status", h.status().label());
      doc.put("response_time_ms", millis(h.responseTime()));
      doc.put("utilization", h.utilization());
      doc.put("circuit_breaker", h.circuitBreaker().label());
      putBreakerTimes(doc, h, report.checkedAt());
      doc.put("pool_size", h.metrics().poolSize());
      doc.put("max_size", h.metrics().maxSize());
      doc.put("checked_out", h.metrics().checkedOut());
      doc.put("checked_in", h.metrics().checkedIn());
      doc.put("overflow", h.metrics().overflow());
      doc.put("error", h.error());
      if (h.replication() != null) {
        // the analytics pool reads a replica (ANALYTICS_DATABASE_URL): how far behind it is
        doc.put("replication_lag_bytes", h.replication().bytes() < 0 ? null : h.replication().bytes());
        doc.put("replication_lag_seconds", h.replication().lag().toMillis() / 1000.0);
      }
      pools.put(name.label(), doc);
    });
    return pools;
  }

  /**
   * {@code circuit_breaker_opened_at} (ISO-8601) and {@code circuit_breaker_open_ms} (how long it
   * has been open at {@code now}), both {@code null} while the breaker is closed.
   */
  static void putBreakerTimes(Map<String, Object> doc, PoolHealth h, Instant now) {
    Instant opened = h.circuitOpenedAt();
    doc.put("circuit_breaker_opened_at", opened == null ? null : opened.toString());
    doc.put("circuit_breaker_open_ms", opened == null ? null : Math.max(0, Duration.between(opened, now).toMillis()));
  }

  private static Map<String, Object> poolMetrics(PoolMetrics m) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("pool_size", m.poolSize());
    doc.put("max_size", m.maxSize());
    doc.put("checked_out", m.checkedOut());
    doc.put("checked_in", m.checkedIn());
    doc.put("idle", m.checkedIn());
    doc.put("pending", m.pending());
    doc.put("overflow", m.overflow());
    doc.put("total_connections", m.total());
    doc.put("active_connections", m.checkedOut());
    doc.put("idle_connections", m.checkedIn());
    doc.put("utilization", m.utilization());
    doc.put("connection_errors", m.connectionErrors());
    doc.put("timeouts", m.timeouts());
    doc.put("checkouts", m.checkouts());
    doc.put("average_checkout_time_ms", millis(m.averageCheckout()));
    doc.put("p99_checkout_time_ms", millis(m.p99Checkout()));
    return doc;
  }

  private static Map<String, Object> performance(PerformanceMetrics p) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("total_checkouts", p.totalCheckouts());
    doc.put("total_errors", p.totalErrors());
    doc.put("total_timeouts", p.totalTimeouts());
    doc.put("average_checkout_time", seconds(p.averageCheckoutTime()));
    doc.put("average_checkout_time_ms", millis(p.averageCheckoutTime()));
    doc.put("error_rate", p.errorRate());
    return doc;
  }

  private static double millis(Duration d) {
    return d == null ? 0 : Math.round(d.toNanos() / 1_000.0) / 1_000.0;
  }

  private static double seconds(Duration d) {
    return d == null ? 0 : d.toNanos() / 1e9;
  }
}
