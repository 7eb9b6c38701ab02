package io.mingus.tasks.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the completion of tasks that wrote nothing in batches: one UPDATE for up to {@value
 * #BATCH} tasks, as River's completer does, so cheap tasks are not bound by one commit each. No
 * delay is added: while one batch is written, the next one gathers. A task whose completion is
 * lost (the process dies first) is rescued and runs again; it had no database effects to repeat.
 * Runs on a thread of its own until stopped, then writes what is pending. Thread-safe.
 */
public final class Completer implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(Completer.class);
  /** The most completions written in one statement. */
  static final int BATCH = 500;

  private final WorkerDb wdb;
  private final InFlight inFlight;
  private final Lifecycle lifecycle;
  private final LinkedBlockingQueue<Execution> pending = new LinkedBlockingQueue<>();
  private final AtomicLong completed = new AtomicLong();
  private volatile boolean stopped;

  /**
   * A completer writing through {@code wdb}; it forgets written attempts in {@code inFlight}, and
   * writes nothing once the worker halted.
   */
  public Completer(WorkerDb wdb, InFlight inFlight, Lifecycle lifecycle) {
    this.wdb = wdb;
    this.inFlight = inFlight;
    this.lifecycle = lifecycle;
  }

  /** Takes an attempt whose task wrote nothing and committed. */
  public void add(Execution x) {
    pending.add(x);
  }

  /** The completions written in batches so far (a test signal). */
  public long completed() {
    return completed.get();
  }

  /** Writes what is pending, then ends. */
  public void stop() {
    stopped = true;
  }

  @Override
  public void run() {
    while (!stopped || !pending.isEmpty()) {
      Execution first;
      try {
        first = pending.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (first == null) {
        continue;
      }
      List<Execution> batch = new ArrayList<>(Math.min(BATCH, pending.size() + 1));
      batch.add(first);
      pending.drainTo(batch, BATCH - 1);
      if (lifecycle.halted()) {
        continue;
      }
      flush(batch);
    }
  }

  private void flush(List<Execution> batch) {
    try {
      List<TaskStore.Claimed> rows = batch.stream().map(Execution::claimed).toList();
      Instant now = wdb.clock().instant();
      int n = wdb.db().fromTransaction(WorkerDb.outcome("complete"),
          s -> wdb.store().succeedAll(s, rows, wdb.workerId(), now));
      completed.addAndGet(n);
      if (n < batch.size()) {
        LOG.warn("worker {} completed {} of {} tasks that wrote nothing; the others had passed to another worker",
            wdb.workerId(), n, batch.size());
      }
    } catch (RuntimeException e) {
      LOG.error("worker {} could not record the completion of {} tasks that wrote nothing (ids {}...); they will be"
          + " rescued and run again", wdb.workerId(), batch.size(), batch.getFirst().claimed().id(), e);
    } finally {
      for (Execution x : batch) {
        inFlight.finished(x);
      }
    }
  }
}
