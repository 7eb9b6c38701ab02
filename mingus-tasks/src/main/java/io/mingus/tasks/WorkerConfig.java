package io.mingus.tasks;

import io.mingus.db.RetryPolicy;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.time.InstantSource;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * How a {@link Worker} runs: the tasks it runs, its queues and their concurrency, its timers,
 * backoff, rate limits and schedules. Immutable and validated in its constructor: a bad value is
 * refused with the rule it breaks, never clamped. Every default is a {@code DEFAULT_*} constant.
 *
 * <pre>{@code
 * WorkerConfig config = WorkerConfig.custom().register(sendWelcome).queue("mail", 8).build();
 * try (Worker worker = Worker.create(db, tasks, config)) { worker.start(); ... }
 * }</pre>
 *
 * {@link Worker#builder} takes the same settings and builds the worker directly.
 *
 * @param tasks the tasks this worker runs, by name; it claims only tasks whose name is here
 * @param queues the queues it serves and the concurrency of each (tasks in flight at once, each on a
 *     virtual thread of its own; a {@link Task} holds a worker-pool connection while it runs, a
 *     {@link PhasedTask} only while it prepares alone), in the order given
 * @param claimAhead whether each queue also claims up to {@value #CLAIM_AHEAD_FACTOR} times its
 *     concurrency (at most {@value #MAX_READY}) in tasks ready to run beyond the running ones, so
 *     that a slot whose task ends starts the next one without waiting for a claim
 * @param pollInterval how often an idle queue looks for due tasks (NOTIFY wakes it earlier on PostgreSQL)
 * @param heartbeatInterval how often the leases of this worker's tasks are refreshed; below {@code rescueAfter}
 * @param rescueAfter a running task whose heartbeat is older than this is put back by any worker
 * @param shutdownTimeout how long {@link Worker#close()} lets running tasks finish
 * @param retryPolicy the backoff of re-queued attempts; only its delays are used (the attempt cap is
 *     each task's {@link TaskOptions#maxAttempts()})
 * @param rateLimits tasks started per second per worker, by task name (each a registered task)
 * @param schedules the periodic tasks this worker enqueues (each task registered)
 * @param clock the clock of claims, heartbeats, backoff, rescue and schedules; {@code null} for the queue's
 * @param id this worker's id, unique among all workers; {@code null} for one {@link #generatedId()
 *     generated} per worker
 * @param random the source of jitter in [0, 1) for retry delays
 */
public record WorkerConfig(Map<String, Task<?>> tasks, Map<String, Integer> queues, boolean claimAhead,
    Duration pollInterval, Duration heartbeatInterval, Duration rescueAfter, Duration shutdownTimeout,
    RetryPolicy retryPolicy, Map<String, Double> rateLimits, List<Schedule<?>> schedules, InstantSource clock,
    String id, DoubleSupplier random) {

  /** The queue served when none is named. */
  public static final String DEFAULT_QUEUE = "default";
  /** The concurrency of {@link #DEFAULT_QUEUE} when no queue is named. */
  public static final int DEFAULT_CONCURRENCY = 4;
  /** The highest concurrency of one queue. */
  public static final int MAX_CONCURRENCY = 10_000;
  /** Claiming ahead is on unless turned off. */
  public static final boolean DEFAULT_CLAIM_AHEAD = true;
  /**
   * With claiming ahead, the ready buffer of a queue holds up to this many times its concurrency
   * (db-scheduler's lock-and-fetch default holds up to three times its threads).
   */
  public static final int CLAIM_AHEAD_FACTOR = 2;
  /**
   * With claiming ahead, the ready buffer of a queue holds at most this many tasks, whatever its
   * concurrency: enough to hide a claim's latency at thousands of tasks a second, few enough that a
   * queue of concurrency 1,000 does not hold (and heartbeat) 2,000 tasks that other workers could
   * run.
   */
  public static final int MAX_READY = 256;
  /** One second: polling is the fallback on PostgreSQL and H2's only way across processes. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
  /** Ten seconds, a sixth of {@link #DEFAULT_RESCUE_AFTER}. */
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(10);
  /** One minute: longer than any stall (GC, network) a live worker should survive. */
  public static final Duration DEFAULT_RESCUE_AFTER = Duration.ofSeconds(60);
  /** Thirty seconds. */
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);
  /** Full jitter from a 1 s base, capped at 10 minutes; no attempt cap or deadline of its own. */
  public static final RetryPolicy DEFAULT_RETRY_POLICY =
      new RetryPolicy(Integer.MAX_VALUE, Duration.ofSeconds(1), Duration.ofMinutes(10), Duration.ofDays(365));
  /** The longest worker id (the column {@code lease_owner} holds 200 characters). */
  public static final int MAX_ID_LENGTH = 200;

  /** Validates every field and copies the collections (keeping their order). */
  public WorkerConfig {
    tasks = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(tasks, "tasks")));
    queues = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(queues, "queues")));
    rateLimits = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(rateLimits, "rateLimits")));
    schedules = List.copyOf(Objects.requireNonNull(schedules, "schedules"));
    Objects.requireNonNull(retryPolicy, "retryPolicy");
    Objects.requireNonNull(random, "random");
    positive("pollInterval", pollInterval);
    positive("heartbeatInterval", heartbeatInterval);
    positive("rescueAfter", rescueAfter);
    positive("shutdownTimeout", shutdownTimeout);
    if (tasks.isEmpty()) {
      throw new IllegalArgumentException("a worker needs at least one task: call register(...)");
    }
    for (Map.Entry<String, Task<?>> e : tasks.entrySet()) {
      if (!e.getKey().equals(e.getValue().name())) {
        throw new IllegalArgumentException("task " + e.getValue().getClass().getName() + " is registered as '"
            + e.getKey() + "' but is named '" + e.getValue().name() + "'");
      }
    }
    if (queues.isEmpty()) {
      throw new IllegalArgumentException("a worker needs at least one queue, such as '" + DEFAULT_QUEUE + "'");
    }
    queues.forEach(WorkerConfig::concurrency);
    for (Map.Entry<String, Double> e : rateLimits.entrySet()) {
      rate(e.getKey(), e.getValue());
      if (!tasks.containsKey(e.getKey())) {
        throw new IllegalArgumentException("rate limit for task '" + e.getKey() + "', which is not registered;"
            + " registered: " + tasks.keySet());
      }
    }
    for (Schedule<?> s : schedules) {
      if (tasks.get(s.task().name()) != s.task()) {
        throw new IllegalArgumentException("schedule '" + s.name() + "' enqueues task '" + s.task().name()
            + "', which is not registered: register it too");
      }
    }
    if (schedules.stream().map(Schedule::name).distinct().count() < schedules.size()) {
      throw new IllegalArgumentException("two schedules share a name: "
          + schedules.stream().map(Schedule::name).toList());
    }
    if (heartbeatInterval.compareTo(rescueAfter) >= 0) {
      throw new IllegalArgumentException("heartbeatInterval (" + heartbeatInterval.toMillis() + " ms) must be shorter"
          + " than rescueAfter (" + rescueAfter.toMillis() + " ms), or live tasks would be rescued; about a sixth is"
          + " good");
    }
    if (id != null) {
      id(id);
    }
  }

  /** A builder with every default; {@link BaseBuilder#register} at least one task. */
  public static Builder custom() {
    return new Builder();
  }

  /** A worker id unique across hosts and processes: {@code host-pid-random}. */
  public static String generatedId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException | RuntimeException e) {
      host = "host";
    }
    return host + "-" + ManagementFactory.getRuntimeMXBean().getPid() + "-"
        + UUID.randomUUID().toString().substring(0, 8);
  }

  /** How many claimed tasks a queue of this concurrency keeps ready beyond its running ones. */
  public int readyBuffer(int concurrency) {
    return claimAhead ? Math.min(CLAIM_AHEAD_FACTOR * concurrency, MAX_READY) : 0;
  }

  /**
   * A periodic task: each tick of {@code cron} (five fields, wall-clock times in {@code zone}; see
   * {@link Cron} for the day rule and daylight saving time) is enqueued once, with the unique key
   * {@code schedule:<name>:<tick epoch second>}, however many workers carry the same schedule.
   *
   * @param name the schedule's name, part of each tick's unique key
   * @param cron the cron expression
   * @param zone the time zone of the expression's times
   * @param task the task enqueued at each tick
   * @param payload makes the payload of each tick's task
   * @param options the options of each tick's task (their unique key and run-at are replaced)
   */
  public record Schedule<P>(String name, String cron, ZoneId zone, Task<P> task, Supplier<P> payload,
      TaskOptions options) {

    /**
     * Validates every field: the expression must parse and be able to match (no February 30).
     *
     * @throws IllegalArgumentException when the cron expression is not valid or never matches
     */
    public Schedule {
      Objects.requireNonNull(name, "scheduleName");
      Objects.requireNonNull(cron, "cron");
      Objects.requireNonNull(zone, "zone");
      Objects.requireNonNull(task, "task");
      Objects.requireNonNull(payload, "payload");
      Objects.requireNonNull(options, "options");
      try {
        Cron.parse(cron, zone);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("schedule '" + name + "': " + e.getMessage(), e);
      }
    }

    /** A schedule in UTC. */
    public Schedule(String name, String cron, Task<P> task, Supplier<P> payload, TaskOptions options) {
      this(name, cron, ZoneOffset.UTC, task, payload, options);
    }

    /** The cron expression, parsed. */
    Cron parsedCron() {
      return Cron.parse(cron, zone);
    }
  }

  /**
   * The settings shared by {@link WorkerConfig#custom()} and {@link Worker#builder}: each setter
   * validates its value at once (a bad value is refused with the rule it breaks) and returns this
   * builder. Only this package extends it (its constructor is package-private). Not thread-safe.
   *
   * @param <B> the concrete builder
   */
  public abstract static class BaseBuilder<B extends BaseBuilder<B>> {
    private final Map<String, Task<?>> tasks = new LinkedHashMap<>();
    private final Map<String, Integer> queues = new LinkedHashMap<>();
    private final Map<String, Double> limits = new LinkedHashMap<>();
    private final List<Schedule<?>> schedules = new ArrayList<>();
    private boolean claimAhead = DEFAULT_CLAIM_AHEAD;
    private Duration pollInterval = DEFAULT_POLL_INTERVAL;
    private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
    private Duration rescueAfter = DEFAULT_RESCUE_AFTER;
    private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
    private RetryPolicy retryPolicy = DEFAULT_RETRY_POLICY;
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    private InstantSource clock;
    private String id;

    BaseBuilder() {}

    @SuppressWarnings("unchecked")
    private B self() {
      return (B) this;
    }

    /**
     * Registers tasks this worker runs; it claims only tasks whose name is registered.
     *
     * @throws IllegalArgumentException when two tasks share a name
     */
    public B register(Task<?>... list) {
      for (Task<?> t : list) {
        Objects.requireNonNull(t.name(), "task name");
        Objects.requireNonNull(t.payloadType(), "payload type of task " + t.name());
        Task<?> old = tasks.putIfAbsent(t.name(), t);
        if (old != null && old != t) {
          throw new IllegalArgumentException("two tasks are named '" + t.name() + "' (" + old.getClass().getName()
              + " and " + t.getClass().getName() + "): task names must be unique");
        }
      }
      return self();
    }

    /**
     * Serves queue {@code name} with up to {@code concurrency} tasks in flight at once (default:
     * queue {@value #DEFAULT_QUEUE} with {@value #DEFAULT_CONCURRENCY}), each on a virtual thread of
     * its own. A {@link Task} holds a worker-pool connection while it runs, so a queue of such tasks
     * needs a pool about as large as its concurrency; a {@link PhasedTask} holds none during its call,
     * so a thousand of them in flight share a pool of a few connections.
     */
    public B queue(String name, int concurrency) {
      queues.put(name, concurrency(name, concurrency));
      return self();
    }

    /** How often an idle queue looks for due tasks (default 1 s; NOTIFY wakes it earlier on PostgreSQL). */
    public B pollInterval(Duration d) {
      pollInterval = positive("pollInterval", d);
      return self();
    }

    /**
     * Whether each queue claims up to {@value #CLAIM_AHEAD_FACTOR} times its concurrency (at most
     * {@value #MAX_READY}) in tasks ready to run beyond the running ones (default true), so that a slot whose task ends starts the
     * next one without waiting for a claim. Claimed tasks that wait over a second for a slot (the
     * running tasks are long) are given back to the queue for other workers, and the queue stops
     * claiming ahead for 10 s. Off: a queue claims only into free slots.
     */
    public B claimAhead(boolean on) {
      claimAhead = on;
      return self();
    }

    /** How often the leases of running tasks are refreshed (default 10 s); well below {@code rescueAfter}. */
    public B heartbeatInterval(Duration d) {
      heartbeatInterval = positive("heartbeatInterval", d);
      return self();
    }

    /** A running task whose heartbeat is older than this is put back by any worker's rescuer (default 60 s). */
    public B rescueAfter(Duration d) {
      rescueAfter = positive("rescueAfter", d);
      return self();
    }

    /** How long {@link Worker#close()} lets running tasks finish (default 30 s). */
    public B shutdownTimeout(Duration d) {
      shutdownTimeout = positive("shutdownTimeout", d);
      return self();
    }

    /**
     * The backoff of re-queued attempts: after attempt {@code n} fails, the task runs again after
     * {@code policy.delay(n)} (full jitter up to {@code min(maxDelay, baseDelay * 2^(n-1))}). Only
     * the delays are used: the attempt cap is each task's {@link TaskOptions#maxAttempts()}.
     * Default {@link #DEFAULT_RETRY_POLICY}: base 1 s, cap 10 min.
     */
    public B retryPolicy(RetryPolicy p) {
      retryPolicy = Objects.requireNonNull(p, "retryPolicy");
      return self();
    }

    /**
     * Starts at most {@code perSecond} tasks named {@code taskName} a second in this worker (a burst
     * of one second's worth). Other task names are not held up: while the limit is used up, this
     * name is left out of claims.
     */
    public B rateLimit(String taskName, double perSecond) {
      limits.put(taskName, rate(taskName, perSecond));
      return self();
    }

    /**
     * Enqueues {@code task} once per tick of {@code cron} (five fields, UTC; see {@link Cron}) with
     * default options, however many workers carry the same schedule. At start the latest tick not
     * after now is enqueued if no worker did so. The task is registered too.
     *
     * @throws IllegalArgumentException when the cron expression is not valid or can never match
     */
    public <P> B schedule(String scheduleName, String cron, Task<P> task, Supplier<P> payload) {
      return schedule(scheduleName, cron, ZoneOffset.UTC, task, payload, TaskOptions.defaults());
    }

    /** As {@link #schedule(String, String, Task, Supplier)}, the times of {@code cron} in {@code zone}. */
    public <P> B schedule(String scheduleName, String cron, ZoneId zone, Task<P> task, Supplier<P> payload) {
      return schedule(scheduleName, cron, zone, task, payload, TaskOptions.defaults());
    }

    /**
     * As {@link #schedule(String, String, Task, Supplier)}, with these options (their unique key and
     * run-at are replaced).
     */
    public <P> B schedule(String scheduleName, String cron, Task<P> task, Supplier<P> payload, TaskOptions options) {
      return schedule(scheduleName, cron, ZoneOffset.UTC, task, payload, options);
    }

    /** As {@link #schedule(String, String, ZoneId, Task, Supplier)}, with these options. */
    public <P> B schedule(String scheduleName, String cron, ZoneId zone, Task<P> task, Supplier<P> payload,
        TaskOptions options) {
      Objects.requireNonNull(scheduleName, "scheduleName");
      if (schedules.stream().anyMatch(s -> s.name().equals(scheduleName))) {
        throw new IllegalArgumentException("schedule '" + scheduleName + "' is defined twice");
      }
      schedules.add(new Schedule<>(scheduleName, cron, zone, task, payload, options));
      return register(task);
    }

    /** The clock of claims, heartbeats, backoff, rescue and schedules (default: the queue's clock). */
    public B clock(InstantSource c) {
      clock = Objects.requireNonNull(c, "clock");
      return self();
    }

    /** This worker's id, unique among all workers (default: {@link WorkerConfig#generatedId()}). */
    public B id(String workerId) {
      id = WorkerConfig.id(workerId);
      return self();
    }

    /** The source of jitter in [0, 1) for retry delays (default: {@link ThreadLocalRandom}); tests pin it. */
    public B random(DoubleSupplier r) {
      random = Objects.requireNonNull(r, "random");
      return self();
    }

    /**
     * The configuration set so far: queue {@value #DEFAULT_QUEUE} with {@value #DEFAULT_CONCURRENCY}
     * when no queue was named.
     *
     * @throws IllegalArgumentException when no task is registered, a rate limit names a task that is
     *     not, or {@code heartbeatInterval} is not below {@code rescueAfter}
     */
    WorkerConfig config() {
      Map<String, Integer> q = queues.isEmpty() ? Map.of(DEFAULT_QUEUE, DEFAULT_CONCURRENCY) : queues;
      return new WorkerConfig(tasks, q, claimAhead, pollInterval, heartbeatInterval, rescueAfter, shutdownTimeout,
          retryPolicy, limits, schedules, clock, id, random);
    }
  }

  /** Builds a {@link WorkerConfig}. Not thread-safe. */
  public static final class Builder extends BaseBuilder<Builder> {
    private Builder() {}

    /**
     * The configuration.
     *
     * @throws IllegalArgumentException as {@link WorkerConfig}'s constructor
     */
    public WorkerConfig build() {
      return config();
    }
  }

  private static Duration positive(String what, Duration d) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, was " + d);
    }
    return d;
  }

  private static int concurrency(String queue, Integer concurrency) {
    Objects.requireNonNull(queue, "queue name");
    if (concurrency == null || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      throw new IllegalArgumentException("concurrency of queue '" + queue + "' must be 1 to " + MAX_CONCURRENCY
          + ", was " + concurrency);
    }
    return concurrency;
  }

  private static double rate(String taskName, Double perSecond) {
    Objects.requireNonNull(taskName, "taskName");
    if (perSecond == null || !(perSecond > 0) || Double.isInfinite(perSecond)) {
      throw new IllegalArgumentException("the rate limit of task '" + taskName
          + "' must be a positive number of tasks per second, was " + perSecond);
    }
    return perSecond;
  }

  private static String id(String workerId) {
    Objects.requireNonNull(workerId, "workerId");
    if (workerId.isBlank() || workerId.length() > MAX_ID_LENGTH) {
      throw new IllegalArgumentException("a worker id must be 1 to " + MAX_ID_LENGTH + " characters, was '" + workerId
          + "'");
    }
    return workerId;
  }
}
