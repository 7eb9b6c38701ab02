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
 * than after the lease ({@code rescueAfter}). A graceful stop deletes the row. Thread-safe.
 */
public final class WorkerSession {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerSession.class);

  private final WorkerDb wdb;
  private volatile long key;
  private volatile boolean registered;

  /** The session of the worker {@code wdb} names. */
  public WorkerSession(WorkerDb wdb) {
    this.wdb = wdb;
  }

  /**
   * Called by the listener on its new connection {@code c} (backend {@code pid}): takes a fresh lock
   * on it and registers it. A failure leaves the worker to lease-based rescue; the listener drops
   * the connection and tries again.
   */
  void attach(Connection c, int pid) throws SQLException {
    long k = ThreadLocalRandom.current().nextLong();
    if (!wdb.store().lockSession(c, k)) {
      // a random 64-bit key taken already: as good as impossible, but then simply not tracked
      LOG.warn("worker {}: advisory lock {} is held by another session; this worker's tasks are rescued by lease only"
          + " until its LISTEN connection reconnects", wdb.workerId(), k);
      return;
    }
    wdb.db().inTransaction(WorkerDb.outcome("session"),
        s -> wdb.store().registerSession(s, wdb.workerId(), k, pid, wdb.clock().instant()));
    key = k;
    registered = true;
    LOG.debug("worker {}: liveness follows backend {} (advisory lock {})", wdb.workerId(), pid, k);
  }

  /** Whether the current session is registered (a test signal). */
  public boolean registered() {
    return registered;
  }

  /** The listener's connection is gone: the lock went with it. */
  void detached() {
    registered = false;
  }

  /** A graceful stop: forgets the row, so that nobody takes this worker for dead. Best effort. */
  void unregister() {
    if (!registered) {
      return;
    }
    registered = false;
    try {
      wdb.db().inTransaction(WorkerDb.control("session"), s -> wdb.store().unregisterSession(s, wdb.workerId(), key));
    } catch (RuntimeException e) {
      // its tasks are all finished or given back by now; another worker forgets the row
      LOG.debug("worker {}: could not unregister its session", wdb.workerId(), e);
    }
  }
}
