package io.mingus.comms;

import io.mingus.comms.internal.Delivery;
import io.mingus.db.Session;
import io.mingus.tasks.FailureKind;
import io.mingus.tasks.Task;
import io.mingus.tasks.TaskContext;

/**
 * The common body of {@link SendSmsTask} and {@link SendEmailTask}: delivers one communication on
 * the task's session (see {@link Delivery} for the steps and the at-least-once note).
 */
abstract sealed class SendTask implements Task<SendPayload> permits SendSmsTask, SendEmailTask {
  private final Delivery delivery;

  SendTask(Delivery delivery) {
    this.delivery = delivery;
  }

  @Override
  public final Class<SendPayload> payloadType() {
    return SendPayload.class;
  }

  @Override
  public final void run(TaskContext ctx, SendPayload payload) {
    delivery.deliver(ctx.session(), payload.communicationId(), ctx.attempt() >= ctx.maxAttempts());
  }

  /**
   * The task failed for good without recording an outcome (a timeout, a database error, retries of
   * an unexpected failure exhausted): the communication must not stay {@code queued} forever.
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
