package io.mingus.tasks.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.mingus.db.PoolName;
import io.mingus.db.Propagation;
import io.mingus.db.RetryPolicy;
import io.mingus.db.Session;
import io.mingus.db.TransactionOptions;
import io.mingus.tasks.PhasedTask;
import io.mingus.tasks.Task;
import io.mingus.tasks.TaskContext;
import io.mingus.tasks.TaskException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs claimed attempts, each slot on a virtual thread of its own, and writes their outcomes.
 *
 * <p>An attempt runs in one transaction {@code task:<name>} on the worker pool: the task's writes
 * through {@link TaskContext#session()} and its completion UPDATE commit together, and the
 * completion is fenced by {@code id, attempt, lease_owner, state = 'running'}; when that matches no
 * row (the lease passed to another worker), the whole transaction rolls back, task effects
 * included. A task whose transaction wrote nothing (it never asked for its session and the driver
 * shows no pending transaction) has no effects to fence: its completion goes to the batch completer
 * instead, after its transaction ends.
 *
 * <p>A {@link PhasedTask} runs through its phases instead ({@link PhasedRun}): no transaction is
 * open around it, and its slot holds a connection only while it prepares alone.
 *
 * <p>A failure rolls the task's transaction back; the outcome (re-queued with backoff, failed for
 * good and the task told, or given back at shutdown) is written in a new transaction. A watchdog
 * interrupts an attempt past its timeout. Thread-safe.
 */
public final class Runner implements Lane.Slots {
  private static final Logger LOG = LoggerFactory.getLogger(Runner.class);

  /**
   * What the runner needs.
   *
   * @param wdb the database, store, lease owner and clock
   * @param tasks the registered tasks by name
   * @param json reads payloads
   * @param retryPolicy the backoff of retried attempts
   * @param random the jitter of the backoff
   * @param meters the worker's meters
   * @param timeouts runs the timeout watchdogs
   * @param limits rate limits, taken when a task starts
   * @param inFlight the attempts this worker holds
   * @param completions takes attempts that wrote nothing, and phased attempts after their call, to
   *     complete them in batches
   * @param giveBack gives attempts back at shutdown or for a rate limit
   * @param hooks tells tasks that failed for good
   * @param lifecycle whether the worker halted
   */
  public record Context(WorkerDb wdb, Map<String, Task<?>> tasks, ObjectMapper json, RetryPolicy retryPolicy,
      DoubleSupplier random, TaskMeters meters, ScheduledExecutorService timeouts, RateLimits limits, InFlight inFlight,
      Completions completions, GiveBack giveBack, FailureHooks hooks, Lifecycle lifecycle) {}

  /** Thrown inside a task's transaction when its completion fence matched no row. */
  static final class LeaseLostException extends TaskException {
    LeaseLostException(String message) {
      super(message);
    }
  }

  /** Thrown inside a task's transaction when the worker halted or gave the attempt up: it must not commit. */
  static final class HaltedException extends TaskException {
    HaltedException() {
      super("the worker halted or gave this attempt back");
    }
  }

  /** Thrown when a task would start after the worker stopped its timers. */
  static final class StoppedException extends TaskException {
    StoppedException() {
      super("the worker stopped");
    }
  }

  private final Context ctx;
  private final WorkerDb wdb;
  private final PhasedRun phased;

  public Runner(Context ctx) {
    this.ctx = ctx;
    this.wdb = ctx.wdb();
    this.phased = new PhasedRun(ctx.wdb(), ctx.json(), ctx.meters(), ctx.completions(), ctx.lifecycle());
  }

  /**
   * Starts a slot on a virtual thread of its own: runs {@code first}, then the lane's next ready
   * tasks until it has none. A task over its rate limit is given back instead of run.
   */
  @Override
  public void start(Execution first, ReadyQueue lane) {
    Thread.ofVirtual().name("mingus-task-slot-" + lane.queue()).start(() -> {
      for (Execution x = first; x != null; x = lane.next()) {
        runOrGiveBack(x, lane);
      }
    });
  }

  private void runOrGiveBack(Execution x, ReadyQueue lane) {
    try {
      if (ctx.limits().admit(x.claimed().name())) {
        x.attach(Thread.currentThread());
        run(x);
      } else {
        List<Execution> limited = new ArrayList<>();
        limited.add(x);
        limited.addAll(lane.takeReady(x.claimed().name()));
        Duration wait = ctx.limits().untilNext(x.claimed().name());
        ctx.giveBack().giveBack(limited, "rate-limit", wdb.clock().instant().plus(wait));
      }
    } catch (Throwable t) {
      // Keeps the slot: the task stays running under this worker's lease, no longer
      // heartbeated, and is rescued.
      LOG.error("worker {}: task {} '{}' ended with an unexpected {}; its outcome is not recorded and it will be"
          + " rescued", wdb.workerId(), x.claimed().id(), x.claimed().name(), t.getClass().getName(), t);
      ctx.inFlight().finished(x);
    } finally {
      x.detach();
    }
  }

  /** Runs one attempt on this thread and writes its outcome (or hands it to the batch completer). */
  void run(Execution x) {
    TaskStore.Claimed c = x.claimed();
    Task<?> task = ctx.tasks().get(c.name());
    MDC.put("task_id", Long.toString(c.id()));
    MDC.put("task_name", c.name());
    long t0 = System.nanoTime();
    boolean handedToCompleter = false;
    try {
      Instant start = wdb.clock().instant();
      Instant due = c.runAt().isAfter(c.createdAt()) ? c.runAt() : c.createdAt();
      ctx.meters().pickup(c.queue(), Duration.between(due, start));
      try {
        x.armTimeout(ctx.timeouts().schedule(x::expire, c.timeout().toMillis(), TimeUnit.MILLISECONDS));
      } catch (RejectedExecutionException stopped) {
        throw new StoppedException();
      }
      if (task instanceof PhasedTask<?, ?, ?> p) {
        phased.run(x, p, t0);
        return;
      }
      boolean fenced = wdb.db().fromTransaction(options(c), session -> body(x, task, session));
      x.cancelTimeout();
      ctx.meters().ran(c.name(), Outcome.SUCCEEDED, System.nanoTime() - t0);
      if (!fenced) {
        ctx.completions().add(x);
        handedToCompleter = true;
      }
    } catch (Throwable t) {
      x.cancelTimeout();
      Thread.interrupted();
      failed(x, task, t, System.nanoTime() - t0);
    } finally {
      if (!handedToCompleter) {
        ctx.inFlight().finished(x);
      }
      MDC.remove("task_id");
      MDC.remove("task_name");
    }
  }

  private TransactionOptions options(TaskStore.Claimed c) {
    TransactionOptions o = TransactionOptions.named("task:" + c.name()).withPool(PoolName.WORKER)
        .withPropagation(Propagation.REQUIRES_NEW);
    return wdb.store().withTaskTimeout(o, c.timeout());
  }

  private <P> boolean body(Execution x, Task<P> task, Session session) throws Exception {
    TaskStore.Claimed c = x.claimed();
    P payload;
    try {
      payload = ctx.json().readValue(c.payload(), task.payloadType());
    } catch (java.io.IOException e) {
      throw new TaskFailure.PayloadException("the payload of task " + c.id() + " '" + c.name() + "' cannot be read as "
          + task.payloadType().getName() + ": " + e.getMessage(), e);
    }
    RunContext runContext = new RunContext(session, c);
    task.run(runContext, payload);
    if (!x.finishRun()) {
      Thread.interrupted();
      throw new TaskFailure.TimeoutException("task " + c.id() + " '" + c.name() + "' ran past its timeout of "
          + c.timeout().toMillis() + " ms (attempt " + c.attempt() + " of " + c.maxAttempts() + ")");
    }
    if (ctx.lifecycle().halted() || x.abandoned()) {
      throw new HaltedException();
    }
    if (!runContext.used() && !wdb.store().hasWrites(session)) {
      return false;
    }
    if (wdb.store().succeed(session, c, wdb.workerId(), wdb.clock().instant()) != 1) {
      throw new LeaseLostException("task " + c.id() + " '" + c.name() + "' attempt " + c.attempt()
          + " finished, but its lease had passed from worker " + wdb.workerId() + " (it stopped heartbeating and was"
          + " rescued); its effects are rolled back");
    }
    return true;
  }

  private void failed(Execution x, Task<?> task, Throwable t, long nanos) {
    TaskStore.Claimed c = x.claimed();
    if (ctx.lifecycle().halted() || t instanceof HaltedException || x.abandoned() || t instanceof StoppedException) {
      return;
    }
    if (t instanceof LeaseLostException) {
      LOG.warn(t.getMessage());
      ctx.meters().ran(c.name(), Outcome.LEASE_LOST, nanos);
      return;
    }
    if (x.stopping() && !x.timedOut()) {
      ctx.giveBack().giveBack(List.of(x), "give-back", wdb.clock().instant());
      ctx.meters().ran(c.name(), Outcome.GIVEN_BACK, nanos);
      return;
    }
    TaskFailure f = TaskFailure.of(t, task, x.timedOut());
    boolean retry = f.retryable() && c.attempt() < c.maxAttempts();
    Instant now = wdb.clock().instant();
    Instant next = retry ? now.plus(ctx.retryPolicy().delay(c.attempt(), ctx.random())) : null;
    int n;
    try {
      n = wdb.db().fromTransaction(WorkerDb.outcome("record-failure"), s -> {
        if (retry) {
          return wdb.store().retryLater(s, c, wdb.workerId(), next, f);
        }
        int rows = wdb.store().fail(s, c, wdb.workerId(), now, f);
        if (rows == 1 && task != null && !(t instanceof TaskFailure.PayloadException)) {
          ctx.hooks().tell(task, c.id(), c.payload(), f.kind(), f.message());
        }
        return rows;
      });
    } catch (RuntimeException e) {
      e.addSuppressed(t);
      LOG.error("worker {} could not record the failure of task {} '{}' (attempt {}); it will be rescued after its"
          + " lease runs out", wdb.workerId(), c.id(), c.name(), c.attempt(), e);
      return;
    }
    logOutcome(c, f, t, n, retry, next, nanos);
  }

  private void logOutcome(TaskStore.Claimed c, TaskFailure f, Throwable t, int rows, boolean retry, Instant next,
      long nanos) {
    if (rows != 1) {
      LOG.warn("task {} '{}' attempt {} failed ({}), but its lease had passed to another worker; not recorded",
          c.id(), c.name(), c.attempt(), f.kind());
      ctx.meters().ran(c.name(), Outcome.LEASE_LOST, nanos);
    } else if (retry) {
      LOG.warn("task {} '{}' attempt {} of {} failed ({}); runs again at {}: {}", c.id(), c.name(), c.attempt(),
          c.maxAttempts(), f.kind(), next, f.message());
      ctx.meters().ran(c.name(), Outcome.RETRIED, nanos);
      ctx.meters().retried(c.name());
    } else {
      LOG.error("task {} '{}' failed for good at attempt {} of {} ({}{})", c.id(), c.name(), c.attempt(),
          c.maxAttempts(), f.kind(), f.retryable() ? ", no attempts left" : ", not retryable", t);
      ctx.meters().ran(c.name(), Outcome.FAILED, nanos);
    }
  }
}
