package io.mingus.db.internal;

import io.mingus.db.PoolName;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether one pool's database can be reached, as the last physical connection attempt said.
 *
 * <p>How it works. Anything that sees the database unreachable (a new connection that could not
 * be opened, the pool's breaker opening) calls {@link #lost}. From then until a probe succeeds, a
 * virtual thread probes on the {@link ProbeSchedule}: it opens a fresh physical connection (never
 * a pooled one, which may be dead) and validates it. Meanwhile the pool's {@link Connector} does
 * not dial the database itself: Hikari's connection adder waits in {@link #awaitReachable}, so
 * that it does not fall into its own back-off (up to 5 s between attempts) and opens its
 * connections the moment the probe succeeds. Success runs the {@link #onRegained} listeners: the
 * breaker closes, the pool retires the connections opened before the outage.
 *
 * <p>Thread-safe. {@link #close()} stops the prober and releases every waiter.
 */
final class Reachability implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger("io.mingus.db.health");
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);

  private final PoolName pool;
  private final DataSource probes;
  private final ProbeSchedule schedule;
  private final InstantSource clock;
  private final List<Runnable> onRegained = new CopyOnWriteArrayList<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private boolean down;
  private boolean closed;
  private Instant downSince;
  private Throwable lastFailure;
  private int failedProbes;
  private Instant nextProbe;

  /**
   * @param probes opens fresh physical connections to the pool's database, with short timeouts
   * @param cap the longest wait between two probes ({@code DB_CIRCUIT_RECOVERY_TIMEOUT})
   */
  Reachability(PoolName pool, DataSource probes, Duration cap, InstantSource clock) {
    this.pool = pool;
    this.probes = probes;
    this.schedule = new ProbeSchedule(cap);
    this.clock = clock;
  }

  /** Runs {@code listener} (on the prober's thread) each time the database answers again. */
  void onRegained(Runnable listener) {
    onRegained.add(listener);
  }

  /** The database could not be reached: {@code cause} says why. Starts probing unless it is already. */
  void lost(Throwable cause) {
    lock.lock();
    try {
      lastFailure = cause;
      if (down || closed) {
        return;
      }
      down = true;
      downSince = clock.instant();
      failedProbes = 0;
      Thread.ofVirtual().name("mingus-db-probe-" + pool.label()).start(this::probeUntilReachable);
    } finally {
      lock.unlock();
    }
    LOG.warn("pool {}: the database cannot be reached ({}); probing it with a fresh connection from {} ms on, at"
        + " growing intervals up to {} ms (DB_CIRCUIT_RECOVERY_TIMEOUT)", pool.label(), Redact.url(String.valueOf(
            cause.getMessage())), ProbeSchedule.FIRST.toMillis(), schedule.cap().toMillis());
  }

  /** Whether {@link #close()} was called. */
  boolean closed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  /** Whether the last word on the database is that it answers. */
  boolean reachable() {
    lock.lock();
    try {
      return !down;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until a probe has found the database again, at most {@code max}.
   *
   * @return whether it is reachable now
   */
  boolean awaitReachable(Duration max) throws InterruptedException {
    long left = max.toNanos();
    lock.lock();
    try {
      while (down && !closed && left > 0) {
        left = changed.awaitNanos(left);
      }
      return !down;
    } finally {
      lock.unlock();
    }
  }

  /** A snapshot for messages and health: since when it is down, probes failed, next probe; or {@code null} when up. */
  Outage outage() {
    lock.lock();
    try {
      return down ? new Outage(downSince, failedProbes, nextProbe, lastFailure) : null;
    } finally {
      lock.unlock();
    }
  }

  /** An ongoing outage as {@link #outage()} describes it. */
  record Outage(Instant since, int failedProbes, Instant nextProbe, Throwable lastFailure) {}

  private void probeUntilReachable() {
    while (true) {
      Duration delay;
      lock.lock();
      try {
        delay = schedule.delay(failedProbes, ThreadLocalRandom.current()::nextDouble);
        nextProbe = clock.instant().plus(delay);
        if (!sleep(delay)) {
          return;
        }
      } finally {
        lock.unlock();
      }
      Throwable failure = probe();
      if (failure == null) {
        regained();
        return;
      }
      lock.lock();
      try {
        failedProbes++;
        lastFailure = failure;
      } finally {
        lock.unlock();
      }
      LOG.debug("pool {}: probe {} failed: {}", pool.label(), failedProbes, failure.getMessage());
    }
  }

  /** Sleeps {@code delay} holding the lock's condition; false when closed meanwhile. */
  private boolean sleep(Duration delay) {
    long left = delay.toNanos();
    try {
      while (!closed && left > 0) {
        left = changed.awaitNanos(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    return !closed;
  }

  private Throwable probe() {
    try (Connection c = probes.getConnection()) {
      if (!c.isValid((int) PROBE_TIMEOUT.toSeconds())) {
        return new SQLTransientConnectionException("the probe connection opened but did not answer a validation"
            + " within " + PROBE_TIMEOUT.toSeconds() + " s", "08006");
      }
      return null;
    } catch (SQLException | RuntimeException e) {
      return e;
    }
  }

  private void regained() {
    Duration down;
    int probesFailed;
    lock.lock();
    try {
      down = Duration.between(downSince, clock.instant());
      probesFailed = failedProbes;
      this.down = false;
      downSince = null;
      nextProbe = null;
      lastFailure = null;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    LOG.info("pool {}: the database answers again, {} ms after it was found unreachable ({} failed probes)",
        pool.label(), down.toMillis(), probesFailed);
    for (Runnable listener : onRegained) {
      try {
        listener.run();
      } catch (RuntimeException e) {
        LOG.warn("pool {}: a listener of the database's return failed", pool.label(), e);
      }
    }
  }

  /** Stops probing and wakes every waiter; idempotent. */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
