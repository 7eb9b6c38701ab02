package io.mingus.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the completion of tasks that wrote nothing in batches: one UPDATE for up to {@value
 * #BATCH} tasks, as River's completer does, so cheap tasks are not bound by one commit each. No
 * delay is added: while one batch is written, the next one gathers. A task whose completion is
 * lost (the process dies first) is rescued and runs again; it had no database effects to repeat.
 */
final class Completer implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(Completer.class);
  static final int BATCH = 500;

  private final Worker worker;
  private final LinkedBlockingQueue<Execution> pending = new LinkedBlockingQueue<>();
  private volatile boolean stopped;
  private final java.util.concurrent.atomic.AtomicLong completed = new java.util.concurrent.atomic.AtomicLong();

  Completer(Worker worker) {
    this.worker = worker;
  }

  void add(Execution e) {
    pending.add(e);
  }

  /** The completions written in batches so far. */
  long completed() {
    return completed.get();
  }

  /** Writes what is pending, then ends. */
  void stop() {
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
      if (worker.killed()) {
        continue;
      }
      flush(batch);
    }
  }

  private void flush(List<Execution> batch) {
    try {
      int n = worker.succeedAll(batch);
      completed.addAndGet(n);
      if (n < batch.size()) {
        LOG.warn("worker {} completed {} of {} tasks that wrote nothing; the others had passed to another worker",
            worker.id(), n, batch.size());
      }
    } catch (RuntimeException e) {
      LOG.error("worker {} could not record the completion of {} tasks that wrote nothing (ids {}...); they will be"
          + " rescued and run again", worker.id(), batch.size(), batch.getFirst().claimed.id(), e);
    } finally {
      for (Execution x : batch) {
        worker.finished(x);
      }
    }
  }
}
