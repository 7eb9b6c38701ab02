package io.mingus.tasks;

import java.time.Instant;

/**
 * One row of the task table, as {@link TaskAdmin} shows it. Immutable.
 *
 * @param id the task id
 * @param queue the queue it runs on
 * @param name the task name
 * @param payload the payload as JSON
 * @param priority higher runs first
 * @param state its state
 * @param attempt the attempts started so far
 * @param maxAttempts the attempts allowed in all
 * @param runAt when it may run (next)
 * @param leaseOwner the worker that holds it while running, else {@code null}
 * @param heartbeatAt the lease owner's last heartbeat, or {@code null}
 * @param uniqueKey its unique key, or {@code null}
 * @param lastErrorKind the kind of its last failure, or {@code null}
 * @param lastErrorMessage the message of its last failure, or {@code null}
 * @param lastErrorStack the trimmed stack trace of its last failure, or {@code null}
 * @param createdAt when it was enqueued
 * @param startedAt when its last attempt started, or {@code null}
 * @param finishedAt when it finished, or {@code null}
 */
public record TaskRecord(long id, String queue, String name, String payload, int priority, TaskState state,
    int attempt, int maxAttempts, Instant runAt, String leaseOwner, Instant heartbeatAt, String uniqueKey,
    FailureKind lastErrorKind, String lastErrorMessage, String lastErrorStack,
    Instant createdAt, Instant startedAt, Instant finishedAt) {}
