package io.mingus.db.internal;

import io.mingus.db.DatabaseConfig;
import io.mingus.db.HealthReport;
import io.mingus.db.PoolOptimizer;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background work of a database: leak scans when leak detection is on, and, when monitoring
 * is on, a health check every {@code DB_HEALTH_CHECK_INTERVAL} and the pool optimizer's sampling.
 */
public final class Monitor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger("io.mingus.db.health");

  private final DatabaseConfig config;
  private final Engine engine;
  private final HealthChecker health;
  private final ScheduledExecutorService scheduler;
  private PoolOptimizer optimizer;

  public Monitor(DatabaseConfig config, Engine engine, HealthChecker health) {
    this.config = config;
    this.engine = engine;
    this.health = health;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("mingus-db-monitor")
        .factory());
  }

  public ScheduledExecutorService scheduler() {
    return scheduler;
  }

  /** Schedules the leak scan and, with monitoring on, health checks and the optimizer. */
  public void start(PoolOptimizer poolOptimizer) {
    this.optimizer = poolOptimizer;
    long leakMs = config.leakDetection().toMillis();
    if (leakMs > 0) {
      long every = Math.max(100, leakMs / 4);
      scheduler.scheduleWithFixedDelay(this::scanLeaks, every, every, TimeUnit.MILLISECONDS);
    }
    if (config.monitoring()) {
      long every = config.healthCheckInterval().toMillis();
      scheduler.scheduleWithFixedDelay(this::checkHealth, every, every, TimeUnit.MILLISECONDS);
      poolOptimizer.start();
    }
  }

  private void scanLeaks() {
    try {
      engine.reportLeaks();
    } catch (RuntimeException e) {
      LOG.warn("leak scan failed", e);
    }
  }

  private void checkHealth() {
    try {
      HealthReport report = health.checkAll();
      if (!report.healthy()) {
        report.pools().values().stream().filter(p -> p.error() != null || p.status() != io.mingus.db.HealthStatus.HEALTHY)
            .forEach(p -> LOG.warn("pool {} is {}: {} (utilization {}%, breaker {})", p.pool().label(),
                p.status().label(), p.error() == null ? "slow or near capacity" : p.error(),
                Math.round(p.utilization() * 100), p.circuitBreaker().label()));
      }
    } catch (RuntimeException e) {
      LOG.warn("health check failed", e);
    }
  }

  @Override
  public void close() {
    if (optimizer != null) {
      optimizer.stop();
    }
    scheduler.shutdownNow();
  }
}
