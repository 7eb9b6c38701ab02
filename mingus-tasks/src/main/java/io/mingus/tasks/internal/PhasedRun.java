package io.mingus.tasks.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.mingus.db.PoolName;
import io.mingus.db.Propagation;
import io.mingus.db.TransactionOptions;
import io.mingus.tasks.PhasedTask;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt of a {@link PhasedTask} on its slot's virtual thread: {@code prepare} in a short
 * transaction of its own unless it ran with the claim, then {@code call} holding no connection,
 * then the outcome handed to the completer, which writes {@code record} with the completion while
 * the slot waits. A failure is thrown to the {@link Runner}, which records it as for any task.
 * Stateless apart from its services; thread-safe.
 */
final class PhasedRun {
  private static final Logger LOG = LoggerFactory.getLogger(PhasedRun.class);

  private final WorkerDb wdb;
  private final ObjectMapper json;
  private final TaskMeters meters;
  private final Completions completions;
  private final Lifecycle lifecycle;

  PhasedRun(WorkerDb wdb, ObjectMapper json, TaskMeters meters, Completions completions, Lifecycle lifecycle) {
    this.wdb = wdb;
    this.json = json;
    this.meters = meters;
    this.completions = completions;
    this.lifecycle = lifecycle;
  }

  /** Runs the attempt's phases; returns when its outcome is written (or its lease was found lost). */
  void run(Execution x, PhasedTask<?, ?, ?> task, long t0) throws Exception {
    TaskStore.Claimed c = x.claimed();
    if (!Phases.read(x, task, json)) {
      throw new TaskFailure.PayloadException("the payload of task " + c.id() + " '" + c.name() + "' cannot be read"
          + " as " + task.payloadType().getName(), null);
    }
    if (x.preparation() == Execution.Preparation.NOT_YET && !prepareAlone(x, task)) {
      x.cancelTimeout();
      meters.ran(c.name(), Outcome.LEASE_LOST, System.nanoTime() - t0);
      return;
    }
    if (x.preparation() == Execution.Preparation.DONE) {
      x.cancelTimeout();
      meters.ran(c.name(), Outcome.SUCCEEDED, System.nanoTime() - t0);
      return;
    }
    Object outcome = call(task, x);
    if (!x.finishRun()) {
      Thread.interrupted();
      throw new TaskFailure.TimeoutException("task " + c.id() + " '" + c.name() + "' ran past its timeout of "
          + c.timeout().toMillis() + " ms in its call (attempt " + c.attempt() + " of " + c.maxAttempts() + ")");
    }
    x.cancelTimeout();
    if (lifecycle.halted() || x.abandoned()) {
      throw new Runner.HaltedException();
    }
    x.outcome(outcome);
    Completer.Recorded recorded;
    try {
      recorded = completions.record(x, task).get();
    } catch (InterruptedException e) {
      // only a halt interrupts a slot whose call returned
      Thread.currentThread().interrupt();
      throw new Runner.HaltedException();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
    if (recorded == Completer.Recorded.LEASE_LOST) {
      LOG.warn("task {} '{}' attempt {} finished its call, but its lease had passed from worker {} (it stopped"
          + " heartbeating and was rescued); its outcome is not recorded", c.id(), c.name(), c.attempt(),
          wdb.workerId());
      meters.ran(c.name(), Outcome.LEASE_LOST, System.nanoTime() - t0);
      return;
    }
    meters.ran(c.name(), Outcome.SUCCEEDED, System.nanoTime() - t0);
  }

  /**
   * Runs {@code prepare} alone, fenced: the attempt's row is locked first and prepare runs only if
   * the lease is still this attempt's. Returns false when it was not.
   */
  private boolean prepareAlone(Execution x, PhasedTask<?, ?, ?> task) throws Exception {
    TaskStore.Claimed c = x.claimed();
    TransactionOptions options = wdb.store().withTaskTimeout(TransactionOptions.named("task:" + c.name())
        .withPool(PoolName.WORKER).withPropagation(Propagation.REQUIRES_NEW), c.timeout());
    boolean held = wdb.db().fromTransaction(options, s -> {
      if (wdb.store().fence(s, List.of(c), wdb.workerId()).isEmpty()) {
        return false;
      }
      List<Execution> done = Phases.prepare(s, task, List.of(x));
      if (lifecycle.halted() || x.abandoned()) {
        throw new Runner.HaltedException();
      }
      if (!done.isEmpty()) {
        wdb.store().succeed(s, c, wdb.workerId(), wdb.clock().instant());
      }
      return true;
    });
    if (!held) {
      LOG.warn("task {} '{}' attempt {}: its lease had passed from worker {} before it was prepared; nothing done",
          c.id(), c.name(), c.attempt(), wdb.workerId());
    }
    return held;
  }

  @SuppressWarnings("unchecked")
  private static <P, R, O> O call(PhasedTask<P, R, O> task, Execution x) throws Exception {
    return task.call(RunContext.outsideTransaction(x.claimed()), (P) x.payload(), (R) x.prepared());
  }
}
