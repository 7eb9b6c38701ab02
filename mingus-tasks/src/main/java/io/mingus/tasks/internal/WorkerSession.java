package io.mingus.tasks.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ties a worker's liveness to the database session of its LISTEN connection (PostgreSQL). When
 * the {@link Listener} connects, it takes a session-level advisory lock with a fresh random key on
 * that connection and records the key in {@code mingus_task_workers}. The lock lives exactly as
 * long as the session: when the process dies (even by SIGKILL) or its connection is cut, the server
 * ends the session and frees the lock, and the {@link Rescuer} of any other worker, seeing a
 * registered key that nobody holds, puts this worker's running tasks back within seconds rather
 * than after the lease ({@code rescueAfter}). A graceful stop deletes the row. Thread-safe: the
 * state changes under this object's monitor, so that a registration never outlives its session.
 */
public final class WorkerSession {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerSession.class);

  private final WorkerDb wdb;
  private final FailureLog failures;
  private volatile long key;
  private volatile int backendPid;
  private volatile boolean locked;
  private volatile boolean registered;

  /** The session of the worker {@code wdb} names. */
  public WorkerSession(WorkerDb wdb) {
    this.wdb = wdb;
    this.failures = new FailureLog(LOG, "worker " + wdb.workerId() + ": registering its database session (its tasks are"
        + " rescued by lease meanwhile)");
  }

  /**
   * Called by the listener on its new connection {@code c} (backend {@code pid}): takes a fresh lock
   * on it and registers it. A failure to lock drops the connection (the listener tries again); a
   * failure to register keeps LISTEN working and is retried by {@link #registerIfPending()}.
   */
  synchronized void attach(Connection c, int pid) throws SQLException {
    long k = ThreadLocalRandom.current().nextLong();
    if (!wdb.store().lockSession(c, k)) {
      // a random 64-bit key taken already: as good as impossible, but then simply not tracked
      LOG.warn("worker {}: advisory lock {} is held by another session; this worker's tasks are rescued by lease only"
          + " until its LISTEN connection reconnects", wdb.workerId(), k);
      return;
    }
    key = k;
    backendPid = pid;
    locked = true;
    registered = false;
    registerIfPending();
  }

  /**
   * Registers the locked session if that has not succeeded yet (the rescuer's loop calls this);
   * until then this worker's tasks are covered by their leases alone.
   */
  synchronized void registerIfPending() {
    if (!locked || registered) {
      return;
    }
    long k = key;
    try {
      wdb.db().inTransaction(WorkerDb.control("session"),
          s -> wdb.store().registerSession(s, wdb.workerId(), k, backendPid, wdb.clock().instant()));
    } catch (RuntimeException e) {
      failures.failed(e, "trying again every " + Rescuer.SESSION_PERIOD.toMillis() + " ms");
      return;
    }
    failures.succeeded();
    registered = true;
    LOG.debug("worker {}: liveness follows backend {} (advisory lock {})", wdb.workerId(), backendPid, k);
  }

  /** Whether the current session is registered (a test signal). */
  public boolean registered() {
    return registered;
  }

  /** The listener's connection is gone: the lock went with it. */
  synchronized void detached() {
    locked = false;
    registered = false;
  }

  /** A graceful stop: forgets the row, so that nobody takes this worker for dead. Best effort. */
  synchronized void unregister() {
    if (!registered) {
      return;
    }
    locked = false;
    registered = false;
    try {
      wdb.db().inTransaction(WorkerDb.control("session"), s -> wdb.store().unregisterSession(s, wdb.workerId(), key));
    } catch (RuntimeException e) {
      // its tasks are all finished or given back by now; another worker forgets the row
      LOG.debug("worker {}: could not unregister its session", wdb.workerId(), e);
    }
  }
}
