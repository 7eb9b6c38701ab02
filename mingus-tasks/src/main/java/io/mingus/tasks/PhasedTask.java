package io.mingus.tasks;

import io.mingus.db.Session;
import java.util.ArrayList;
import java.util.List;

/**
 * A task whose slow part is a call outside the database (an SMS provider, an HTTP API), split in
 * three phases so that the call holds no connection and no row lock:
 *
 * <ol>
 *   <li>{@link #prepare}: in a short transaction, read and reserve what the call needs. It commits
 *       before the call, fenced by the attempt: a prepare whose lease passed to another worker does
 *       not commit.
 *   <li>{@link #call}: no transaction and no connection; {@code ctx.session()} throws here. A worker
 *       runs as many calls at once as its queue's concurrency, each on a virtual thread of its own,
 *       whatever the size of the worker pool.
 *   <li>{@link #record}: in the transaction that records the task's completion, fenced by the
 *       attempt: the outcome commits if and only if the task is marked succeeded by this attempt.
 * </ol>
 *
 * <pre>{@code
 * final class Deliver implements PhasedTask<Hook, URI, Integer> {
 *   public String name() { return "hooks.deliver"; }
 *   public Class<Hook> payloadType() { return Hook.class; }
 *   public URI prepare(TaskContext ctx, Hook h) {          // phase 1: a short transaction
 *     return ctx.session().queryOne("SELECT url FROM hooks WHERE id = ? AND delivered_at IS NULL",
 *         rs -> URI.create(rs.getString(1)), h.id()).orElse(null);   // null: nothing to do, done
 *   }
 *   public Integer call(TaskContext ctx, Hook h, URI url) throws Exception {   // phase 2: no connection
 *     return http.post(url, h.body(), "Idempotency-Key", Long.toString(ctx.taskId()));
 *   }
 *   public void record(TaskContext ctx, Hook h, URI url, Integer status) {    // phase 3: with the completion
 *     ctx.session().update("UPDATE hooks SET delivered_at = now(), status = ? WHERE id = ?", status, h.id());
 *   }
 * }
 * }</pre>
 *
 * <p><b>Batches.</b> The worker prepares the tasks it claims together, in the claim's own
 * transaction, through {@link #prepareAll}; and records the outcomes that are ready at the same
 * time together with their completions, through {@link #recordAll}: a thousand tasks in flight
 * cost a few commits, not three thousand. Both default to calling the one-task method for each
 * task in turn; override them with set-based SQL ({@code UPDATE ... WHERE id = ANY(?)}) when a task
 * is run at high rates. When a batch fails (an exception from any of its tasks, or from the
 * database), it is rolled back and each of its tasks is run again in a transaction of its own, so
 * that one bad task fails alone.
 *
 * <p><b>At least once, exactly once.</b> Database effects happen exactly once: each phase's writes
 * commit only while the attempt holds its lease. The call happens at least once: a worker that dies
 * after {@code prepare} committed leaves the task running under its lease until a rescuer puts it
 * back; the next attempt runs {@code prepare} again, which must recognise what the earlier attempt
 * reserved (a status on the row, a day already counted) and not take it twice, and then calls again:
 * pass an idempotency key ({@link TaskContext#taskId()} or an id of the reserved row) to the other
 * side.
 *
 * <p><b>Failures.</b> An exception from any phase fails the attempt as it fails a {@link Task}:
 * retried with backoff when retryable ({@link #isRetryable}), else failed for good and {@link
 * #onFailure} told. What {@code prepare} committed stays committed (the next attempt sees it); what
 * {@code record} wrote is rolled back. An attempt's timeout covers {@code prepare} (when it runs
 * alone) and {@code call}.
 *
 * <p>Stateless and thread-safe, like every task: one instance serves every run.
 *
 * @param <P> the payload, stored as JSON
 * @param <R> what {@code prepare} hands to {@code call}: the reservation
 * @param <O> what {@code call} hands to {@code record}: the outcome
 */
public interface PhasedTask<P, R, O> extends Task<P> {

  /** One task of a {@link #prepareAll} batch: its context (whose session is the batch's) and payload. */
  record Item<P>(TaskContext ctx, P payload) {}

  /** One task of a {@link #recordAll} batch: its context (whose session is the batch's), payload, reservation and outcome. */
  record Result<P, R, O>(TaskContext ctx, P payload, R prepared, O outcome) {}

  /**
   * Phase 1, in a short transaction ({@code ctx.session()}), committed before the call: reads and
   * reserves what the call needs.
   *
   * @return what {@link #call} needs, or {@code null} when there is nothing to call (done already,
   *     or not to be done): the task then succeeds in this same transaction, and neither {@code call}
   *     nor {@code record} runs
   */
  R prepare(TaskContext ctx, P payload) throws Exception;

  /**
   * Phase 2, outside any transaction: the slow call. {@code ctx.session()} throws {@link
   * IllegalStateException}. Runs on a virtual thread of its own: blocking I/O is fine.
   */
  O call(TaskContext ctx, P payload, R prepared) throws Exception;

  /**
   * Phase 3, in the transaction ({@code ctx.session()}) that marks the task succeeded: records
   * the outcome. Throwing rolls back this transaction and fails the attempt.
   */
  void record(TaskContext ctx, P payload, R prepared, O outcome) throws Exception;

  /**
   * Phase 1 for many tasks in one transaction ({@code session}, also each item's {@code
   * ctx.session()}): returns one reservation (or {@code null}) per item, in order. Default: {@link
   * #prepare} for each in turn.
   */
  default List<R> prepareAll(Session session, List<Item<P>> items) throws Exception {
    List<R> out = new ArrayList<>(items.size());
    for (Item<P> item : items) {
      out.add(prepare(item.ctx(), item.payload()));
    }
    return out;
  }

  /**
   * Phase 3 for many tasks in one transaction ({@code session}, also each item's {@code
   * ctx.session()}), after their completions. Default: {@link #record} for each in turn.
   */
  default void recordAll(Session session, List<Result<P, R, O>> results) throws Exception {
    for (Result<P, R, O> r : results) {
      record(r.ctx(), r.payload(), r.prepared(), r.outcome());
    }
  }

  /**
   * Not used: a worker runs a phased task through its phases.
   *
   * @throws UnsupportedOperationException always
   */
  @Override
  default void run(TaskContext ctx, P payload) {
    throw new UnsupportedOperationException("task '" + name() + "' is a PhasedTask: a worker runs it through prepare,"
        + " call and record, never through run");
  }
}
