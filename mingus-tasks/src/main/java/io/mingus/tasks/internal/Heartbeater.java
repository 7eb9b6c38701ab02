package io.mingus.tasks.internal;

import java.time.Instant;
import java.util.List;

/**
 * Refreshes the heartbeat (the lease) of every task this worker holds, running and ready alike, in
 * statements of up to {@value #CHUNK} tasks. Thread-safe.
 */
public final class Heartbeater {
  /** The most tasks refreshed in one statement. */
  static final int CHUNK = 1000;

  private final WorkerDb wdb;
  private final InFlight inFlight;
  private volatile boolean paused;

  /** Heartbeats the tasks in {@code inFlight} through {@code wdb}. */
  public Heartbeater(WorkerDb wdb, InFlight inFlight) {
    this.wdb = wdb;
    this.inFlight = inFlight;
  }

  /** One round of heartbeats. */
  public void beat() {
    if (paused || inFlight.isEmpty()) {
      return;
    }
    List<Long> ids = inFlight.ids();
    Instant now = wdb.clock().instant();
    for (int from = 0; from < ids.size(); from += CHUNK) {
      List<Long> chunk = ids.subList(from, Math.min(ids.size(), from + CHUNK));
      wdb.db().inTransaction(WorkerDb.control("heartbeat"), s -> wdb.store().heartbeat(s, wdb.workerId(), chunk, now));
    }
  }

  /** Stops (or resumes) the heartbeats, as if the worker hung: its tasks are rescued by others (a test signal). */
  public void pause(boolean on) {
    paused = on;
  }
}
