/**
 * Durable background tasks stored in the database: {@link io.mingus.tasks.TaskQueue} enqueues in
 * the caller's transaction, {@link io.mingus.tasks.Worker} runs them on virtual threads, each in one
 * transaction with its completion record (a {@link io.mingus.tasks.PhasedTask} in three phases, its
 * slow call outside any transaction), {@link io.mingus.tasks.TaskAdmin} inspects and repairs.
 */
package io.mingus.tasks;
