package io.mingus.tasks;

import io.mingus.db.DatabaseErrors;
import java.time.Instant;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A periodic task: each tick of its cron expression is enqueued with the unique key {@code
 * schedule:<name>:<tick epoch second>}, so that any number of workers carrying the schedule enqueue
 * it once. Each worker remembers the last tick it handled, so it inserts at most once a tick.
 */
final class Schedule<P> {
  private static final Logger LOG = LoggerFactory.getLogger(Schedule.class);

  private final String name;
  private final Cron cron;
  private final Task<P> task;
  private final Supplier<P> payload;
  private final TaskOptions options;
  private volatile Instant lastTick;

  Schedule(String name, Cron cron, Task<P> task, Supplier<P> payload, TaskOptions options) {
    this.name = name;
    this.cron = cron;
    this.task = task;
    this.payload = payload;
    this.options = options;
  }

  String name() {
    return name;
  }

  /** Enqueues the latest tick not after {@code now}, unless this worker already did. */
  void enqueueDue(Worker worker, Instant now) {
    Instant tick = cron.latest(now);
    if (tick.equals(lastTick)) {
      return;
    }
    TaskOptions o = options.withRunAt(tick).withUniqueKey(key(tick));
    try {
      long id = worker.db.fromTransaction(worker.control("schedule:" + name),
          s -> worker.queue.enqueue(s, task, payload.get(), o));
      lastTick = tick;
      LOG.debug("schedule '{}' tick {}: task {}", name, tick, id);
    } catch (RuntimeException e) {
      LOG.warn("schedule '{}' could not enqueue tick {} ({}); trying again", name, tick,
          DatabaseErrors.classify(e).kind(), e);
    }
  }

  String key(Instant tick) {
    return "schedule:" + name + ":" + tick.getEpochSecond();
  }
}
