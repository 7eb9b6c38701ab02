package io.mingus.db.internal;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.mingus.db.DatabaseErrors;
import io.mingus.db.ErrorKind;
import io.mingus.db.HealthReport;
import io.mingus.db.HealthStatus;
import io.mingus.db.PoolHealth;
import io.mingus.db.PoolMetrics;
import io.mingus.db.PoolName;
import io.mingus.db.SessionStats;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.InstantSource;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Checks each pool with a validation query bounded by a timeout, on a virtual thread so that a
 * hung connection attempt never hangs the caller. The check passes through the pool's circuit
 * breaker: while it is open the pool is unhealthy without touching the database, and once it
 * half-opens the check is the probe that closes it again. Only the pools of the process's role
 * are checked, and a pool it uses on demand only once it has opened a connection.
 */
public final class HealthChecker {
  /** Utilization from which a pool is degraded. */
  static final double DEGRADED_UTILIZATION = 0.9;

  private final Pools pools;
  private final Duration timeout;
  private final Supplier<SessionStats> stats;
  private final InstantSource clock;

  public HealthChecker(Pools pools, Duration timeout, Supplier<SessionStats> stats, InstantSource clock) {
    this.pools = pools;
    this.timeout = timeout;
    this.stats = stats;
    this.clock = clock;
  }

  /** Checks every pool, concurrently. */
  public HealthReport checkAll() {
    Map<PoolName, CompletableFuture<PoolHealth>> running = new EnumMap<>(PoolName.class);
    for (PoolName name : pools.names()) {
      if (probed(name)) {
        running.put(name, CompletableFuture.supplyAsync(() -> check(name), Thread::startVirtualThread));
      }
    }
    Map<PoolName, PoolHealth> results = new EnumMap<>(PoolName.class);
    HealthStatus worst = HealthStatus.HEALTHY;
    for (var e : running.entrySet()) {
      PoolHealth h = e.getValue().join();
      results.put(e.getKey(), h);
      if (h.status().compareTo(worst) > 0) {
        worst = h.status();
      }
    }
    return new HealthReport(worst, java.util.Collections.unmodifiableMap(results), stats.get(), clock.instant());
  }

  /**
   * Whether a check of all pools probes {@code name}: a pool its role uses only on demand (main in
   * a worker) is left alone until the work has opened a connection of it.
   */
  private boolean probed(PoolName name) {
    return !pools.role().onDemandOnly(name) || pools.metrics(name).total() > 0;
  }

  /** Checks one pool. */
  public PoolHealth check(PoolName name) {
    CircuitBreaker breaker = pools.breaker(name).circuitBreaker();
    if (!breaker.tryAcquirePermission()) {
      PoolMetrics m = pools.metrics(name);
      return new PoolHealth(name, HealthStatus.UNHEALTHY, Duration.ZERO, m.utilization(), pools.breakerState(name), m,
          "circuit breaker open: recent attempts could not reach the database");
    }
    long start = System.nanoTime();
    String error = null;
    Throwable failure = null;
    CompletableFuture<Void> probe = CompletableFuture.runAsync(() -> validate(name), Thread::startVirtualThread);
    try {
      probe.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      failure = e;
      error = "the validation query did not finish within " + timeout.toMillis() + " ms";
    } catch (ExecutionException e) {
      failure = e.getCause();
      error = "the validation query failed: " + e.getCause().getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure = e;
      error = "interrupted";
    }
    long elapsed = System.nanoTime() - start;
    PoolMetrics busy = pools.metrics(name);
    boolean exhausted = failure != null && (busy.checkedOut() >= busy.maxSize()
        || DatabaseErrors.classify(failure).kind() == ErrorKind.POOL_EXHAUSTED);
    if (exhausted) {
      // Every connection is lent out: the database answers, the pool is just full. That is not
      // an outage, so it neither counts against the breaker nor makes the pool unhealthy.
      breaker.releasePermission();
      return new PoolHealth(name, HealthStatus.DEGRADED, Duration.ofNanos(elapsed), busy.utilization(),
          pools.breakerState(name), busy, "no connection was free within " + timeout.toMillis() + " ms: "
              + busy.checkedOut() + " of " + busy.maxSize() + " in use, " + busy.pending() + " waiting");
    }
    if (failure == null) {
      breaker.onSuccess(elapsed, TimeUnit.NANOSECONDS);
    } else {
      breaker.onError(elapsed, TimeUnit.NANOSECONDS,
          failure instanceof TimeoutException ? new java.sql.SQLTransientConnectionException(error, "08001") : failure);
    }
    PoolMetrics m = pools.metrics(name);
    Duration latency = Duration.ofNanos(elapsed);
    HealthStatus status;
    if (error != null) {
      status = HealthStatus.UNHEALTHY;
    } else if (m.utilization() >= DEGRADED_UTILIZATION || latency.compareTo(timeout.dividedBy(2)) > 0
        || !"closed".equals(pools.breakerState(name))) {
      status = HealthStatus.DEGRADED;
    } else {
      status = HealthStatus.HEALTHY;
    }
    return new PoolHealth(name, status, latency, m.utilization(), pools.breakerState(name), m,
        error == null ? null : Redact.url(error));
  }

  private void validate(PoolName name) {
    try (Connection c = pools.dataSource(name).getConnection(); Statement st = c.createStatement()) {
      st.setQueryTimeout((int) Math.max(1, timeout.toSeconds()));
      st.execute("SELECT 1");
    } catch (java.sql.SQLException e) {
      throw new java.util.concurrent.CompletionException(e);
    } finally {
      pools.returned(name);
    }
  }
}
