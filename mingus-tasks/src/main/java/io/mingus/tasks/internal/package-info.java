/**
 * The implementation of {@code io.mingus.tasks}: the services of a worker ({@link
 * io.mingus.tasks.internal.Lane}, {@link io.mingus.tasks.internal.Runner}, {@link
 * io.mingus.tasks.internal.Completer}, {@link io.mingus.tasks.internal.Heartbeater}, {@link
 * io.mingus.tasks.internal.Rescuer}, ...) wired by {@link io.mingus.tasks.internal.WorkerRuntime},
 * and {@link io.mingus.tasks.internal.TaskStore}, the one owner of the task table's SQL. Not API:
 * types here are public only so that the API package can use them; they may change without notice.
 */
package io.mingus.tasks.internal;
