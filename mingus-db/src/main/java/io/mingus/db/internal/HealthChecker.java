package io.mingus.db.internal;

import io.mingus.db.BreakerState;
import io.mingus.db.DatabaseErrors;
import io.mingus.db.ErrorKind;
import io.mingus.db.HealthReport;
import io.mingus.db.HealthStatus;
import io.mingus.db.PoolHealth;
import io.mingus.db.PoolMetrics;
import io.mingus.db.PoolName;
import io.mingus.db.ReplicationLag;
import io.mingus.db.SessionStats;
import java.sql.Connection;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Checks each pool with a validation query bounded by a timeout, on a virtual thread so that a
 * hung connection attempt never hangs the caller. The check passes through the pool's circuit
 * breaker and counts as a transaction does (see {@link Breaker}): while the breaker is open the
 * pool is unhealthy without touching the database (the pool's own probe looks for it), and once
 * it half-opens the check is a trial that can close it. Only the pools of the process's role are
 * checked, and a pool it uses on demand only once it has opened a connection.
 */
public final class HealthChecker {
  /** Utilization from which a pool is degraded. */
  static final double DEGRADED_UTILIZATION = 0.9;

  private final Pools pools;
  private final Duration timeout;
  private final Supplier<SessionStats> stats;
  private final InstantSource clock;
  private final Replica replica;

  public HealthChecker(Pools pools, Duration timeout, Supplier<SessionStats> stats, InstantSource clock,
      Replica replica) {
    this.replica = replica;
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
    Breaker breaker = pools.breaker(name);
    if (!breaker.tryPermit()) {
      PoolMetrics m = pools.metrics(name);
      Instant opened = breaker.openedAt();
      return new PoolHealth(name, HealthStatus.UNHEALTHY, Duration.ZERO, m.utilization(), breaker.state(), opened, m,
          "circuit breaker open" + (opened == null ? "" : " for " + Duration.between(opened, clock.instant()).toMillis()
              + " ms") + ": the pool could not open new connections; a fresh connection probes the database and"
              + " the breaker closes as soon as one succeeds", null);
    }
    long start = System.nanoTime();
    String error = null;
    Throwable failure = null;
    AtomicBoolean lent = new AtomicBoolean();
    java.util.concurrent.atomic.AtomicReference<ReplicationLag> lag = new java.util.concurrent.atomic.AtomicReference<>();
    CompletableFuture<Void> probe = CompletableFuture.runAsync(() -> validate(name, lent, lag),
        Thread::startVirtualThread);
    try {
      probe.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      failure = new SQLTransientConnectionException("the validation query did not finish within "
          + timeout.toMillis() + " ms", "08001", e);
      error = failure.getMessage();
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
    boolean exhausted = failure != null && !lent.get() && (busy.checkedOut() >= busy.maxSize()
        || DatabaseErrors.classify(failure).kind() == ErrorKind.POOL_EXHAUSTED);
    if (exhausted) {
      // Every connection is lent out: the database answers, the pool is just full. That is not
      // an outage, so it neither counts against the breaker nor makes the pool unhealthy.
      breaker.release();
      return new PoolHealth(name, HealthStatus.DEGRADED, Duration.ofNanos(elapsed), busy.utilization(),
          breaker.state(), breaker.openedAt(), busy, "no connection was free within " + timeout.toMillis() + " ms: "
              + busy.checkedOut() + " of " + busy.maxSize() + " in use, " + busy.pending() + " waiting", null);
    }
    if (failure != null && !lent.get()) {
      breaker.couldNotConnect(start, failure);
    } else {
      breaker.finished(start, failure);
      if (failure != null && Breaker.isConnectionFailure(failure)) {
        pools.connectionLost(name);
      }
    }
    PoolMetrics m = pools.metrics(name);
    Duration latency = Duration.ofNanos(elapsed);
    BreakerState state = breaker.state();
    HealthStatus status;
    ReplicationLag replication = lag.get();
    boolean behind = replication != null && replication.lag().compareTo(replica.maxLag()) > 0;
    if (error != null) {
      status = HealthStatus.UNHEALTHY;
    } else if (m.utilization() >= DEGRADED_UTILIZATION || latency.compareTo(timeout.dividedBy(2)) > 0
        || state != BreakerState.CLOSED || behind) {
      status = HealthStatus.DEGRADED;
      if (behind) {
        error = "the replica is " + replication.lag().toMillis() + " ms (" + replication.bytes() + " bytes of WAL)"
            + " behind the primary, more than ANALYTICS_MAX_LAG_SECONDS (" + replica.maxLag().toMillis() + " ms):"
            + " analytics transactions that allow it read the primary, the others fail";
      }
    } else {
      status = HealthStatus.HEALTHY;
    }
    return new PoolHealth(name, status, latency, m.utilization(), state, breaker.openedAt(), m,
        error == null ? null : Redact.url(error), replication);
  }

  private void validate(PoolName name, AtomicBoolean lent, java.util.concurrent.atomic.AtomicReference<ReplicationLag> lag) {
    try (Connection c = pools.dataSource(name).getConnection()) {
      lent.set(true);
      try (Statement st = c.createStatement()) {
        st.setQueryTimeout((int) Math.max(1, timeout.toSeconds()));
        st.execute("SELECT 1");
      }
      if (name == PoolName.ANALYTICS && replica != null) {
        lag.set(replica.measure(c));
      }
    } catch (java.sql.SQLException e) {
      throw new java.util.concurrent.CompletionException(e);
    } finally {
      pools.returnedDirectly(name);
    }
  }
}
