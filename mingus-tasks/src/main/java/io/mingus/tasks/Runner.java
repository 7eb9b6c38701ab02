package io.mingus.tasks;

import io.mingus.db.Dialect;
import io.mingus.db.PoolName;
import io.mingus.db.Propagation;
import io.mingus.db.RetryPolicy;
import io.mingus.db.Session;
import io.mingus.db.TransactionOptions;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs one claimed attempt on a virtual thread of its own and writes its outcome. See {@link
 * Worker} for the whole picture. Thread-safe.
 */
final class Runner {
  private static final Logger LOG = LoggerFactory.getLogger(Runner.class);

  /** Thrown inside a task's transaction when its completion fence matched no row. */
  static final class LeaseLostException extends TaskException {
    LeaseLostException(String message) {
      super(message);
    }
  }

  /** Thrown inside a task's transaction when the worker was killed (tests): it must not commit. */
  static final class KilledException extends TaskException {
    KilledException() {
      super("the worker was killed");
    }
  }

  private final Worker w;

  Runner(Worker worker) {
    this.w = worker;
  }

  /**
   * Starts a slot on a virtual thread of its own: runs {@code first}, then the lane's next ready
   * tasks until it has none. A task over its rate limit is given back instead of run.
   */
  void start(Execution first) {
    Thread.ofVirtual().name("mingus-task-slot-" + first.lane.queue).start(() -> {
      for (Execution x = first; x != null; x = x.lane.next()) {
        try {
          if (w.admit(x)) {
            x.thread = Thread.currentThread();
            run(x);
          } else {
            List<Execution> limited = new ArrayList<>();
            limited.add(x);
            limited.addAll(x.lane.takeReady(x.claimed.name()));
            giveBackLimited(limited);
          }
        } catch (Throwable t) {
          // Keeps the slot: the task stays running under this worker's lease, no longer
          // heartbeated, and is rescued.
          LOG.error("worker {}: task {} '{}' ended with an unexpected {}; its outcome is not recorded and it will be"
              + " rescued", w.id(), x.claimed.id(), x.claimed.name(), t.getClass().getName(), t);
          w.finished(x);
        } finally {
          x.detach();
        }
      }
    });
  }

  private void run(Execution x) {
    TaskStore.Claimed c = x.claimed;
    Task<?> task = w.tasks.get(c.name());
    MDC.put("task_id", Long.toString(c.id()));
    MDC.put("task_name", c.name());
    long t0 = System.nanoTime();
    boolean handedToCompleter = false;
    try {
      Instant start = w.clock.instant();
      Instant due = c.runAt().isAfter(c.createdAt()) ? c.runAt() : c.createdAt();
      w.meters.pickup(c.queue(), Duration.between(due, start));
      try {
        x.timeout = w.timeouts.schedule(x::expire, c.timeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException stopped) {
        throw new Worker.StoppedException();
      }
      boolean fenced = w.db.fromTransaction(options(c), session -> body(x, task, session));
      x.cancelTimeout();
      w.meters.ran(c.name(), "succeeded", System.nanoTime() - t0);
      if (!fenced) {
        w.completer.add(x);
        handedToCompleter = true;
      }
    } catch (Throwable t) {
      x.cancelTimeout();
      Thread.interrupted();
      failed(x, task, t, System.nanoTime() - t0);
    } finally {
      if (!handedToCompleter) {
        w.finished(x);
      }
      MDC.remove("task_id");
      MDC.remove("task_name");
    }
  }

  private TransactionOptions options(TaskStore.Claimed c) {
    TransactionOptions o = TransactionOptions.named("task:" + c.name()).withPool(PoolName.WORKER)
        .withPropagation(Propagation.REQUIRES_NEW);
    // H2 runs in this JVM: its query timeout costs nothing. On PostgreSQL a SET LOCAL would cost a
    // round trip per task, so the watchdog's interrupt (which aborts blocking socket I/O of a
    // virtual thread) ends a task that runs too long.
    return w.db.dialect() == Dialect.H2 ? o.withTimeout(c.timeout()) : o;
  }

  private <P> boolean body(Execution x, Task<P> task, Session session) throws Exception {
    TaskStore.Claimed c = x.claimed;
    P payload;
    try {
      payload = w.queue.json().readValue(c.payload(), task.payloadType());
    } catch (java.io.IOException e) {
      throw new TaskFailure.PayloadException("the payload of task " + c.id() + " '" + c.name() + "' cannot be read as "
          + task.payloadType().getName() + ": " + e.getMessage(), e);
    }
    Context ctx = new Context(session, c);
    task.run(ctx, payload);
    if (!x.finishRun()) {
      Thread.interrupted();
      throw new TaskFailure.TimeoutException("task " + c.id() + " '" + c.name() + "' ran past its timeout of "
          + c.timeout().toMillis() + " ms (attempt " + c.attempt() + " of " + c.maxAttempts() + ")");
    }
    if (w.killed() || x.abandoned) {
      throw new KilledException();
    }
    if (!ctx.used && !hasWrites(session)) {
      return false;
    }
    if (w.store.succeed(session, c, w.id(), w.clock.instant()) != 1) {
      throw new LeaseLostException("task " + c.id() + " '" + c.name() + "' attempt " + c.attempt()
          + " finished, but its lease had passed from worker " + w.id() + " (it stopped heartbeating and was rescued);"
          + " its effects are rolled back");
    }
    return true;
  }

  /** Whether the task's transaction may have written something, asked of the driver without a round trip. */
  private boolean hasWrites(Session session) {
    try {
      Connection c = session.connection();
      if (w.db.dialect() == Dialect.POSTGRESQL) {
        return c.unwrap(org.postgresql.core.BaseConnection.class).getTransactionState()
            != org.postgresql.core.TransactionState.IDLE;
      }
      return c.unwrap(org.h2.jdbc.JdbcConnection.class).getSession().hasPendingTransaction();
    } catch (java.sql.SQLException | RuntimeException e) {
      return true;
    }
  }

  private void failed(Execution x, Task<?> task, Throwable t, long nanos) {
    TaskStore.Claimed c = x.claimed;
    if (w.killed() || t instanceof KilledException || x.abandoned || t instanceof Worker.StoppedException) {
      return;
    }
    if (t instanceof LeaseLostException) {
      LOG.warn(t.getMessage());
      w.meters.ran(c.name(), "lease_lost", nanos);
      return;
    }
    if (x.stopping && !x.timedOut()) {
      giveBackAll(List.of(x), "give-back", w.clock.instant());
      w.meters.ran(c.name(), "given_back", nanos);
      return;
    }
    TaskFailure f = TaskFailure.of(t, task, x.timedOut());
    boolean retry = f.retryable() && c.attempt() < c.maxAttempts();
    Instant now = w.clock.instant();
    Instant next = retry ? now.plus(w.retryPolicy.delay(c.attempt(), w.random)) : null;
    int n;
    try {
      n = w.db.fromTransaction(outcome("record-failure"), s -> {
        if (retry) {
          return w.store.retryLater(s, c, w.id(), next, f);
        }
        int rows = w.store.fail(s, c, w.id(), now, f);
        if (rows == 1 && task != null && !(t instanceof TaskFailure.PayloadException)) {
          tellTask(task, c.id(), c.payload(), f.kind(), f.message());
        }
        return rows;
      });
    } catch (RuntimeException e) {
      e.addSuppressed(t);
      LOG.error("worker {} could not record the failure of task {} '{}' (attempt {}); it will be rescued after its"
          + " lease runs out", w.id(), c.id(), c.name(), c.attempt(), e);
      return;
    }
    if (n != 1) {
      LOG.warn("task {} '{}' attempt {} failed ({}), but its lease had passed to another worker; not recorded",
          c.id(), c.name(), c.attempt(), f.kind());
      w.meters.ran(c.name(), "lease_lost", nanos);
    } else if (retry) {
      LOG.warn("task {} '{}' attempt {} of {} failed ({}); runs again at {}: {}", c.id(), c.name(), c.attempt(),
          c.maxAttempts(), f.kind(), next, f.message());
      w.meters.ran(c.name(), "retried", nanos);
      w.meters.retried(c.name());
    } else {
      LOG.error("task {} '{}' failed for good at attempt {} of {} ({}{})", c.id(), c.name(), c.attempt(),
          c.maxAttempts(), f.kind(), f.retryable() ? ", no attempts left" : ", not retryable", t);
      w.meters.ran(c.name(), "failed", nanos);
    }
  }

  /**
   * Lets the task mark its own data failed, under a savepoint of the current transaction (the one
   * recording the failure): the hook's failure only loses its own writes.
   */
  <P> void tellTask(Task<P> task, long id, String payloadJson, String kind, String message) {
    try {
      P payload = w.queue.json().readValue(payloadJson, task.payloadType());
      w.db.inTransaction(TransactionOptions.named("task-on-failure:" + task.name()).withPropagation(Propagation.NESTED),
          s -> task.onFailure(s, payload, kind, message));
    } catch (Exception | Error e) {
      LOG.error("task {} '{}': its onFailure hook failed; the task is recorded failed all the same", id, task.name(), e);
    }
  }

  private TransactionOptions outcome(String name) {
    return w.control(name).withRetry(RetryPolicy.defaults());
  }

  /**
   * Gives back tasks of one name whose rate limit had no token when the first one's turn came (with
   * the ready tasks of that name), to run when the limit has a token again.
   */
  private void giveBackLimited(List<Execution> xs) {
    Duration wait = w.limits.get(xs.getFirst().claimed.name()).untilNext();
    giveBackAll(xs, "rate-limit", w.clock.instant().plus(wait));
  }

  /**
   * Gives attempts back untouched, in one transaction: queued again to run at {@code runAt}, the
   * attempts not counted (shutdown, tasks that waited too long for a slot, rate limits); then forgets
   * them. A failure is logged: the tasks are rescued once their leases run out.
   */
  void giveBackAll(List<Execution> xs, String why, Instant runAt) {
    try {
      w.db.inTransaction(outcome(why), s -> {
        for (Execution x : xs) {
          w.store.giveBack(s, x.claimed, w.id(), runAt);
        }
      });
    } catch (RuntimeException e) {
      LOG.error("worker {} could not give back {} claimed tasks ({}); they will be rescued after their leases run out",
          w.id(), xs.size(), why, e);
    } finally {
      for (Execution x : xs) {
        w.finished(x);
      }
    }
  }

  /** What a running task sees; records whether the task asked for its session. */
  private static final class Context implements TaskContext {
    private final Session session;
    private final TaskStore.Claimed claimed;
    boolean used;

    Context(Session session, TaskStore.Claimed claimed) {
      this.session = session;
      this.claimed = claimed;
    }

    @Override
    public Session session() {
      used = true;
      return session;
    }

    @Override
    public long taskId() {
      return claimed.id();
    }

    @Override
    public String taskName() {
      return claimed.name();
    }

    @Override
    public int attempt() {
      return claimed.attempt();
    }

    @Override
    public int maxAttempts() {
      return claimed.maxAttempts();
    }
  }
}
