/**
 * Durable background tasks stored in the database: {@link io.mingus.tasks.TaskQueue} enqueues in
 * the caller's transaction, {@link io.mingus.tasks.Worker} runs them on virtual threads as its
 * {@link io.mingus.tasks.WorkerConfig} says, each in one transaction with its completion record (a
 * {@link io.mingus.tasks.PhasedTask} in three phases, its slow call outside any transaction),
 * {@link io.mingus.tasks.TaskAdmin} inspects and repairs. A task is a {@link io.mingus.tasks.Task};
 * how one failed is a {@link io.mingus.tasks.FailureKind}. Everything else is in {@code
 * io.mingus.tasks.internal}; the module README's "How a task travels" walks through it.
 */
package io.mingus.tasks;
