package io.mingus.tasks;

import io.mingus.db.Database;
import io.mingus.tasks.internal.ScheduleEnqueuer;
import io.mingus.tasks.internal.WorkerRuntime;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;

/**
 * Runs tasks: claims them from the task table, runs each in a transaction of its own on the
 * worker pool, records the outcome. Any number of workers, in any number of processes on any
 * number of hosts, share one table. What it runs and how is its {@link WorkerConfig}; the README's
 * "How a task travels" walks through the services that do the work.
 *
 * <pre>{@code
 * try (Worker worker = Worker.builder(db, tasks).register(sendWelcome).queue("default", 8).build()) {
 *   worker.start();
 *   ... // until the process ends
 * }
 * }</pre>
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} once (idempotent): stop claiming, let
 * running tasks finish within the shutdown timeout, interrupt the rest and give their attempts
 * back. Thread-safe.
 */
public final class Worker implements AutoCloseable {
  private final String id;
  private final WorkerConfig config;
  private final WorkerRuntime runtime;

  private Worker(String id, WorkerConfig config, WorkerRuntime runtime) {
    this.id = id;
    this.config = config;
    this.runtime = runtime;
  }

  /**
   * A worker (not started) that runs tasks enqueued through {@code queue} on {@code db}, as {@code
   * config} says.
   */
  public static Worker create(Database db, TaskQueue queue, WorkerConfig config) {
    Objects.requireNonNull(db, "db");
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(config, "config");
    String id = config.id() != null ? config.id() : WorkerConfig.generatedId();
    InstantSource clock = config.clock() != null ? config.clock() : queue.clock();
    List<ScheduleEnqueuer.Entry> schedules = config.schedules().stream().<ScheduleEnqueuer.Entry>map(
        s -> entry(queue, s)).toList();
    WorkerRuntime runtime = new WorkerRuntime(new WorkerRuntime.Setup(db, config, id, clock, queue.store(),
        queue.json(), queue.wakeups(), schedules));
    return new Worker(id, config, runtime);
  }

  private static <P> ScheduleEnqueuer.Entry entry(TaskQueue queue, WorkerConfig.Schedule<P> s) {
    Cron cron = s.parsedCron();
    return new ScheduleEnqueuer.Entry(s.name(), cron::latest, (session, tick, key) ->
        queue.enqueue(session, s.task(), s.payload().get(), s.options().withRunAt(tick).withUniqueKey(key)));
  }

  /** A builder of a worker that runs tasks enqueued through {@code queue} on {@code db}. */
  public static Builder builder(Database db, TaskQueue queue) {
    return new Builder(db, queue);
  }

  /**
   * Starts claiming and running tasks, heartbeats, the rescuer, schedules and (on PostgreSQL) the
   * LISTEN connection.
   *
   * @throws IllegalStateException when called twice
   */
  public void start() {
    runtime.start();
  }

  /** This worker's id: the lease owner of the tasks it runs. */
  public String id() {
    return id;
  }

  /** The configuration it runs with. */
  public WorkerConfig config() {
    return config;
  }

  /**
   * Stops gracefully: stops claiming, lets running tasks finish within the shutdown timeout,
   * interrupts the rest and gives their attempts back (queued again, attempt not counted), writes
   * pending completions, then stops heartbeats, the rescuer and the LISTEN connection. Idempotent;
   * a worker never started just becomes stopped.
   */
  @Override
  public void close() {
    runtime.close();
  }

  /** The services, for tests of this package. */
  WorkerRuntime runtime() {
    return runtime;
  }

  /**
   * Builds a {@link Worker} with the settings of {@link WorkerConfig.BaseBuilder}. Not thread-safe.
   */
  public static final class Builder extends WorkerConfig.BaseBuilder<Builder> {
    private final Database db;
    private final TaskQueue queue;

    private Builder(Database db, TaskQueue queue) {
      this.db = Objects.requireNonNull(db, "db");
      this.queue = Objects.requireNonNull(queue, "queue");
    }

    /**
     * Builds the worker (not started).
     *
     * @throws IllegalArgumentException when no task is registered, a rate limit names a task that is
     *     not, or {@code heartbeatInterval} is not below {@code rescueAfter}
     */
    public Worker build() {
      return create(db, queue, config());
    }
  }
}
