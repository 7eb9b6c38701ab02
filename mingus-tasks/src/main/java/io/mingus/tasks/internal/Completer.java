package io.mingus.tasks.internal;

import io.mingus.tasks.PhasedTask;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes completions in batches: one transaction for up to {@value #BATCH} tasks, as River's
 * completer does, so that cheap tasks are not bound by one commit each. No delay is added: while
 * one batch is written, the next one gathers. Runs on a thread of its own until stopped, then
 * writes what is pending.
 *
 * <p>Two kinds of attempts come here. Tasks that wrote nothing: their completion only; one lost
 * (the process dies first) is rescued and runs again, with no database effects to repeat. And
 * {@link PhasedTask}s after their call, whose slot waits for the outcome: their {@code recordAll}
 * runs in the batch's transaction after the completions, for those attempts the completion UPDATE
 * reports still held by this worker (the fence), so an outcome commits if and only if its task is
 * marked succeeded by its attempt. When a batch fails it is rolled back, and written again with
 * each phased attempt in a transaction of its own: a failing {@code record} then fails its own
 * attempt only (its slot records the failure). Thread-safe.
 */
public final class Completer implements Runnable, Completions {
  private static final Logger LOG = LoggerFactory.getLogger(Completer.class);
  /** The most completions written in one transaction. */
  static final int BATCH = 500;

  /** How a phased attempt's completion ended. */
  public enum Recorded {
    /** Marked succeeded, its outcome recorded with it. */
    SUCCEEDED,
    /** Its lease had passed to another worker: nothing was written. */
    LEASE_LOST
  }

  private record Pending(Execution x, PhasedTask<?, ?, ?> task, CompletableFuture<Recorded> done) {}

  private final WorkerDb wdb;
  private final InFlight inFlight;
  private final Lifecycle lifecycle;
  private final LinkedBlockingQueue<Pending> pending = new LinkedBlockingQueue<>();
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

  @Override
  public void add(Execution x) {
    pending.add(new Pending(x, null, null));
  }

  /**
   * {@inheritDoc} Its completion and its {@code recordAll} are written together; the future fails
   * with the exception of {@code record} or of the database.
   */
  @Override
  public CompletableFuture<Recorded> record(Execution x, PhasedTask<?, ?, ?> task) {
    CompletableFuture<Recorded> done = new CompletableFuture<>();
    pending.add(new Pending(x, task, done));
    return done;
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
      Pending first;
      try {
        first = pending.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (first == null) {
        continue;
      }
      List<Pending> batch = new ArrayList<>(Math.min(BATCH, pending.size() + 1));
      batch.add(first);
      pending.drainTo(batch, BATCH - 1);
      if (lifecycle.halted()) {
        continue;
      }
      flush(batch);
    }
  }

  private void flush(List<Pending> batch) {
    Set<Long> ours;
    try {
      ours = write(batch);
    } catch (Exception e) {
      if (batch.stream().allMatch(p -> p.task() == null)) {
        LOG.error("worker {} could not record the completion of {} tasks that wrote nothing (ids {}...); they will be"
            + " rescued and run again", wdb.workerId(), batch.size(), batch.getFirst().x().claimed().id(), e);
        batch.forEach(p -> inFlight.finished(p.x()));
        return;
      }
      LOG.warn("worker {}: a batch of {} completions failed ({}); writing each phased task's in a transaction of its"
          + " own", wdb.workerId(), batch.size(), e.toString());
      fallBack(batch);
      return;
    }
    finish(batch, ours);
  }

  /** One transaction: the completions, then the outcomes of the phased attempts still held. */
  private Set<Long> write(List<Pending> batch) throws Exception {
    Instant now = wdb.clock().instant();
    List<TaskStore.Claimed> rows = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      rows.add(p.x().claimed());
    }
    return wdb.db().fromTransaction(WorkerDb.outcome("complete"), s -> {
      Set<Long> ours = new HashSet<>(wdb.store().succeedAll(s, rows, wdb.workerId(), now));
      Map<PhasedTask<?, ?, ?>, List<Execution>> groups = new LinkedHashMap<>();
      for (Pending p : batch) {
        if (p.task() != null && ours.contains(p.x().claimed().id())) {
          groups.computeIfAbsent(p.task(), t -> new ArrayList<>()).add(p.x());
        }
      }
      for (Map.Entry<PhasedTask<?, ?, ?>, List<Execution>> g : groups.entrySet()) {
        Phases.record(s, g.getKey(), g.getValue());
      }
      return ours;
    });
  }

  private void finish(List<Pending> batch, Set<Long> ours) {
    int n = 0;
    int lostPlain = 0;
    for (Pending p : batch) {
      boolean mine = ours.contains(p.x().claimed().id());
      n += mine ? 1 : 0;
      if (p.task() == null) {
        lostPlain += mine ? 0 : 1;
        inFlight.finished(p.x());
      } else {
        // the slot logs a lost lease and forgets the attempt
        p.done().complete(mine ? Recorded.SUCCEEDED : Recorded.LEASE_LOST);
      }
    }
    completed.addAndGet(n);
    if (lostPlain > 0) {
      LOG.warn("worker {} completed {} of {} tasks that wrote nothing; the others had passed to another worker",
          wdb.workerId(), n, batch.size());
    }
  }

  /** After a failed batch: the tasks that wrote nothing together, each phased attempt alone. */
  private void fallBack(List<Pending> batch) {
    List<Pending> plain = batch.stream().filter(p -> p.task() == null).toList();
    if (!plain.isEmpty()) {
      flush(plain);
    }
    for (Pending p : batch) {
      if (p.task() == null) {
        continue;
      }
      try {
        finish(List.of(p), write(List.of(p)));
      } catch (Exception e) {
        p.done().completeExceptionally(e);
      }
    }
  }
}
