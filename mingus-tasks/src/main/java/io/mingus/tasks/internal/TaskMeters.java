package io.mingus.tasks.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.mingus.tasks.TaskState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The Micrometer meters of a worker: {@code mingus.tasks.depth} (gauge per queue, for the states queued and running),
 * {@code mingus.tasks.pickup} (enqueue-to-start latency per queue), {@code mingus.tasks.run} (run
 * time per task name and outcome), {@code mingus.tasks.outcomes}, {@code mingus.tasks.retries} and
 * {@code mingus.tasks.rescues} (per queue and cause). Thread-safe.
 */
public final class TaskMeters {
  private final MeterRegistry registry;
  private final MultiGauge depth;
  // Meters are looked up once per tag set: building and registering one (a histogram's config
  // above all) costs microseconds of CPU per task.
  private final Map<String, Timer> pickups = new ConcurrentHashMap<>();
  private final Map<String, Timer> runs = new ConcurrentHashMap<>();
  private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
  private final java.util.Set<String> seenQueues = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** Meters on {@code registry}; the depth gauge is registered at once. */
  public TaskMeters(MeterRegistry registry) {
    this.registry = registry;
    this.depth = MultiGauge.builder("mingus.tasks.depth").description("tasks in the table per queue and state")
        .register(registry);
  }

  void pickup(String queue, Duration latency) {
    pickups.computeIfAbsent(queue, q -> Timer.builder("mingus.tasks.pickup")
        .description("from due (enqueued or run_at) to started").tag("queue", q).publishPercentileHistogram()
        .register(registry)).record(latency.isNegative() ? Duration.ZERO : latency);
  }

  void ran(String name, Outcome outcome, long nanos) {
    String key = name + '\n' + outcome.label();
    runs.computeIfAbsent(key, k -> Timer.builder("mingus.tasks.run").description("run time of one attempt")
        .tags("name", name, "outcome", outcome.label()).register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    outcomes.computeIfAbsent(key, k -> Counter.builder("mingus.tasks.outcomes").description("attempts by outcome")
        .tags("name", name, "outcome", outcome.label()).register(registry)).increment();
  }

  void retried(String name) {
    Counter.builder("mingus.tasks.retries").description("attempts re-queued with backoff").tag("name", name)
        .register(registry).increment();
  }

  /** {@code n} tasks of {@code queue} put back for {@code cause} ({@code lease_expired}, {@code session_gone}). */
  void rescued(String queue, String cause, int n) {
    Counter.builder("mingus.tasks.rescues").description("running tasks of dead workers put back or failed, by cause")
        .tag("queue", queue).tag("cause", cause).register(registry).increment(n);
  }

  /** Sets the depth gauges; a queue seen before (or served by the worker) and now empty shows 0. */
  void depth(Map<String, Map<TaskState, Long>> counts, java.util.Collection<String> served) {
    seenQueues.addAll(served);
    seenQueues.addAll(counts.keySet());
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    seenQueues.forEach(queue -> {
      Map<TaskState, Long> byState = counts.getOrDefault(queue, Map.of());
      for (TaskState s : new TaskState[] {TaskState.QUEUED, TaskState.RUNNING}) {
        rows.add(MultiGauge.Row.of(Tags.of("queue", queue, "state", s.label()), byState.getOrDefault(s, 0L)));
      }
    });
    depth.register(rows, true);
  }

  /** Removes the depth gauges, so that a later worker on the same registry registers its own. */
  void close() {
    depth.register(java.util.List.of(), true);
  }
}
