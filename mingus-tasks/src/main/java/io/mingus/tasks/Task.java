package io.mingus.tasks;

/**
 * A kind of background work. Stateless and thread-safe: one instance serves every run, on any
 * number of virtual threads at once.
 *
 * <pre>{@code
 * record Welcome(long userId) {}
 *
 * final class SendWelcome implements Task<Welcome> {
 *   public String name() { return "users.send-welcome"; }
 *   public Class<Welcome> payloadType() { return Welcome.class; }
 *   public void run(TaskContext ctx, Welcome p) {
 *     ctx.session().update("INSERT INTO welcomes(user_id) VALUES (?)", p.userId());
 *   }
 * }
 * }</pre>
 *
 * @param <P> the payload type, stored as JSON (Jackson) and read back as {@link #payloadType()}
 */
public interface Task<P> {

  /** The unique name of this kind of work, such as {@code comms.send-sms}; stored with each task. */
  String name();

  /** The payload's class: the payload is stored as JSON and read back as this type. */
  Class<P> payloadType();

  /**
   * Does the work. Database writes go through {@link TaskContext#session()}: they commit together
   * with the task's completion record, or not at all. Throwing fails this attempt; see {@link
   * #isRetryable(Throwable)}.
   */
  void run(TaskContext ctx, P payload) throws Exception;

  /**
   * Whether a failure of this kind re-queues the task with backoff, beyond the retryable database
   * kinds (connection, timeout, deadlock, ...) which always do. Default: none.
   */
  default boolean isRetryable(Throwable failure) {
    return false;
  }

  /**
   * Called once when this task fails for good (a failure that is not retryable, or the last
   * attempt), in the transaction that records the failure and under a savepoint of its own, so
   * that the task can mark its own data (a communication {@code failed}) together with that record.
   * Also called, in the rescuer's transaction, for a task a rescuer fails because its worker
   * stopped heartbeating on the last attempt (kind {@link FailureKind#RESCUED}), when the rescuing
   * worker has this task registered. A failure here (an exception or an error) is logged and does
   * not prevent the record. Not called when the payload cannot be read. Default: nothing.
   *
   * @param kind the recorded failure kind, such as {@link FailureKind#INTEGRITY} or {@link FailureKind#TIMEOUT}
   * @param message the recorded failure message
   */
  default void onFailure(io.mingus.db.Session session, P payload, FailureKind kind, String message)
      throws Exception {}
}
