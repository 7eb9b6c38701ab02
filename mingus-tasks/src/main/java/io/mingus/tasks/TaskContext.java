package io.mingus.tasks;

import io.mingus.db.Session;

/**
 * What a running task sees. Valid only while {@link Task#run} runs, on its thread. While it runs,
 * the logging MDC holds {@code task_id} and {@code task_name}.
 */
public interface TaskContext {

  /**
   * The task's own transaction on the worker pool; it commits together with the task's completion
   * record, fenced by the attempt, so the task's writes commit at most once. In a {@link
   * PhasedTask}: the transaction of the phase ({@code prepare} or {@code record}), shared with the
   * other tasks of its batch.
   *
   * @throws IllegalStateException in a {@link PhasedTask}'s {@code call}, which runs outside any
   *     transaction
   */
  Session session();

  /** The task's id: a good idempotency key for external providers. */
  long taskId();

  /** The task's name ({@link Task#name()}). */
  String taskName();

  /** This attempt's number: 1 for the first run. */
  int attempt();

  /** How many attempts the task may have in all. */
  int maxAttempts();
}
