package io.mingus.comms;

import io.mingus.comms.internal.Delivery;
import io.mingus.db.Session;
import io.mingus.tasks.FailureKind;
import io.mingus.tasks.PhasedTask;
import io.mingus.tasks.TaskContext;
import java.util.ArrayList;
import java.util.List;

/**
 * The common body of {@link SendSmsTask} and {@link SendEmailTask}, a {@link PhasedTask}: reserve
 * the communication in a short transaction (with the worker's claim, many at once), call the
 * provider holding no connection and no row lock, record the outcome with the task's completion
 * (many at once). See {@link Delivery} for each phase and the module README for the story.
 */
abstract sealed class SendTask implements PhasedTask<SendPayload, Delivery.Reservation, Delivery.Outcome>
    permits SendSmsTask, SendEmailTask {
  private final Delivery delivery;

  SendTask(Delivery delivery) {
    this.delivery = delivery;
  }

  @Override
  public final Class<SendPayload> payloadType() {
    return SendPayload.class;
  }

  @Override
  public final Delivery.Reservation prepare(TaskContext ctx, SendPayload payload) {
    return delivery.reserve(ctx.session(), List.of(payload.communicationId())).getFirst();
  }

  @Override
  public final List<Delivery.Reservation> prepareAll(Session session, List<Item<SendPayload>> items) {
    List<Long> ids = new ArrayList<>(items.size());
    for (Item<SendPayload> item : items) {
      ids.add(item.payload().communicationId());
    }
    return delivery.reserve(session, ids);
  }

  @Override
  public final Delivery.Outcome call(TaskContext ctx, SendPayload payload, Delivery.Reservation reservation) {
    return delivery.call(reservation, ctx.attempt() >= ctx.maxAttempts());
  }

  @Override
  public final void record(TaskContext ctx, SendPayload payload, Delivery.Reservation reservation,
      Delivery.Outcome outcome) {
    delivery.record(ctx.session(), List.of(new Delivery.Result(reservation, outcome)));
  }

  @Override
  public final void recordAll(Session session,
      List<Result<SendPayload, Delivery.Reservation, Delivery.Outcome>> results) {
    List<Delivery.Result> out = new ArrayList<>(results.size());
    for (Result<SendPayload, Delivery.Reservation, Delivery.Outcome> r : results) {
      out.add(new Delivery.Result(r.prepared(), r.outcome()));
    }
    delivery.record(session, out);
  }

  /**
   * The task failed for good without recording an outcome (a timeout, a database error, retries of
   * an unexpected failure exhausted): the communication must not stay {@code queued} or {@code
   * sending} forever.
   */
  @Override
  public final void onFailure(Session session, SendPayload payload, FailureKind kind, String message) {
    delivery.failedForGood(session, payload.communicationId(), channel(), kind);
  }

  /** The channel this task sends on. */
  abstract Channel channel();

  /** Provider timeouts and 5xx answers are retried with the worker's backoff. */
  @Override
  public final boolean isRetryable(Throwable failure) {
    return failure instanceof ProviderException p && p.retryable();
  }
}
