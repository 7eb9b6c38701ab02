package io.mingus.tasks;

import io.mingus.db.Database;
import io.mingus.db.Dialect;
import io.mingus.db.PoolName;
import io.mingus.db.Propagation;
import io.mingus.db.RetryPolicy;
import io.mingus.db.TransactionOptions;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks: claims them from the task table, runs each in a transaction of its own on the
 * worker pool, records the outcome. Any number of workers, in any number of processes on any
 * number of hosts, share one table.
 *
 * <pre>{@code
 * try (Worker worker = Worker.builder(db, tasks).register(sendWelcome).queue("default", 8).build()) {
 *   worker.start();
 *   ... // until the process ends
 * }
 * }</pre>
 *
 * <p>How it works. Each queue has a {@link Lane}: up to its concurrency of running tasks, a
 * buffer of up to twice that many claimed tasks ready to run, and a fetcher on a virtual thread
 * that refills slots and buffer in one short transaction ({@code SELECT ... FOR UPDATE SKIP
 * LOCKED}, then state {@code running}, this worker as lease owner, a fresh heartbeat, attempt + 1)
 * when the buffer is half empty, so that a finished task's slot takes the next one without waiting
 * for a claim. Ready tasks that wait over a second for a slot go back to the queue for other
 * workers. Each slot runs its tasks one after another on a virtual thread of its own, each in
 * one transaction ({@code task:<name>} on the worker pool): its writes through {@link
 * TaskContext#session()} and its completion UPDATE commit together, and the completion is fenced by
 * {@code id, attempt, lease_owner, state = 'running'}: when that matches no row (the lease passed to
 * another worker), the whole transaction rolls back, task effects included. A task whose
 * transaction wrote nothing (it never called {@code ctx.session()} and the connection shows no
 * pending transaction) has no effects to fence: its completion goes to the {@link Completer}, which
 * writes many in one statement.
 *
 * <p>A failure rolls the task's transaction back; its record (re-queued with backoff, or failed)
 * is written in a new transaction. A heartbeat loop refreshes the leases of this worker's tasks; a
 * rescuer loop (on every worker) puts back running tasks whose heartbeat is older than {@code
 * rescueAfter}. On PostgreSQL a {@link Listener} wakes lanes when tasks are committed; lanes also
 * poll. While the worker pool's circuit breaker is open, lanes do not claim. Schedules enqueue one
 * task per cron tick with the unique key {@code schedule:<name>:<tick epoch second>}, so however
 * many workers run, a tick is enqueued once. Every timestamp comes from the injected clock.
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} once (idempotent): stop claiming, let
 * running tasks finish within the shutdown timeout, interrupt the rest and give their attempts
 * back. Thread-safe.
 */
public final class Worker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Worker.class);
  private static final Duration DEPTH_INTERVAL = Duration.ofSeconds(15);

  private enum State { NEW, RUNNING, STOPPING, STOPPED }

  /** Thrown when a task would start after the worker stopped its timers. */
  static final class StoppedException extends TaskException {
    StoppedException() {
      super("the worker stopped");
    }
  }

  final Database db;
  final TaskQueue queue;
  final TaskStore store;
  final InstantSource clock;
  private final String id;
  final Map<String, Task<?>> tasks;
  private final Map<String, Lane> lanes;
  private final Duration pollInterval;
  private final Duration heartbeatInterval;
  private final Duration rescueAfter;
  private final Duration shutdownTimeout;
  final RetryPolicy retryPolicy;
  final DoubleSupplier random;
  final Map<String, TokenBucket> limits;
  private final List<Schedule<?>> schedules;
  final TaskMeters meters;
  final Runner runner;
  final Completer completer;
  private final Listener listener;
  final Map<Long, Execution> inFlight = new ConcurrentHashMap<>();
  private final ReentrantLock drainLock = new ReentrantLock();
  private final Condition drained = drainLock.newCondition();
  private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
  private final CountDownLatch stopSignal = new CountDownLatch(1);
  private final List<Thread> threads = new ArrayList<>();
  private final Consumer<String> waker = this::wake;
  final ScheduledExecutorService timeouts;
  private volatile boolean killed;
  private volatile boolean heartbeatsPaused;
  private volatile boolean lanesStopped;

  private Worker(Builder b) {
    this.db = b.db;
    this.queue = b.queue;
    this.store = b.queue.store();
    this.clock = b.clock != null ? b.clock : b.queue.clock();
    this.id = b.id != null ? b.id : defaultId();
    this.tasks = Map.copyOf(b.tasks);
    this.pollInterval = b.pollInterval;
    this.heartbeatInterval = b.heartbeatInterval;
    this.rescueAfter = b.rescueAfter;
    this.shutdownTimeout = b.shutdownTimeout;
    this.retryPolicy = b.retryPolicy;
    this.random = b.random;
    Map<String, TokenBucket> buckets = new LinkedHashMap<>();
    b.limits.forEach((name, rate) -> buckets.put(name, new TokenBucket(rate, clock)));
    this.limits = Map.copyOf(buckets);
    this.schedules = List.copyOf(b.schedules);
    this.meters = new TaskMeters(db.meterRegistry());
    Map<String, Lane> l = new LinkedHashMap<>();
    (b.queues.isEmpty() ? Map.of("default", 4) : b.queues).forEach((q, n) -> l.put(q, new Lane(this, q, n, b.claimAhead ? 2 * n : 0)));
    this.lanes = l;
    this.runner = new Runner(this);
    this.completer = new Completer(this);
    this.listener = db.dialect() == Dialect.POSTGRESQL
        ? new Listener(this, db.pools().config(PoolName.WORKER), store.channel()) : null;
    this.timeouts = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("mingus-task-timeouts-"
        + id).factory());
  }

  /** A builder of a worker that runs tasks enqueued through {@code queue} on {@code db}. */
  public static Builder builder(Database db, TaskQueue queue) {
    return new Builder(db, queue);
  }

  private static String defaultId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException | RuntimeException e) {
      host = "host";
    }
    return host + "-" + ManagementFactory.getRuntimeMXBean().getPid() + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * Starts claiming and running tasks, heartbeats, the rescuer, schedules and (on PostgreSQL) the
   * LISTEN connection.
   *
   * @throws IllegalStateException when called twice
   */
  public void start() {
    if (!state.compareAndSet(State.NEW, State.RUNNING)) {
      throw new IllegalStateException("worker " + id + " was already started (state " + state.get() + ")");
    }
    int total = lanes.values().stream().mapToInt(l -> l.concurrency).sum();
    int poolMax = db.pools().config(PoolName.WORKER).maxSize();
    LOG.info("worker {} starting: queues {}, tasks {}, poll {} ms, heartbeat {} ms, rescue after {} ms, rate limits {},"
        + " schedules {}, {}", id, concurrencies(), tasks.keySet(), pollInterval.toMillis(),
        heartbeatInterval.toMillis(), rescueAfter.toMillis(), limitsText(), schedules.size(),
        listener != null ? "LISTEN/NOTIFY on " + store.channel() : "polling (H2)");
    if (total >= poolMax) {
      LOG.warn("worker {} runs up to {} tasks at once but the worker pool holds at most {} connections: each running"
          + " task holds one, so claims, heartbeats and outcomes wait for a free one. Set WORKER_DB_POOL_SIZE /"
          + " WORKER_DB_MAX_OVERFLOW to at least {} or lower the concurrency", id, total, poolMax, total + 2);
    }
    queue.addWaker(waker);
    threads.add(Thread.ofVirtual().name("mingus-task-completer-" + id).start(completer));
    for (Lane lane : lanes.values()) {
      threads.add(Thread.ofVirtual().name("mingus-task-lane-" + lane.queue + "-" + id).start(lane));
    }
    threads.add(loop("heartbeat", heartbeatInterval, this::heartbeat));
    threads.add(loop("rescuer", rescuePeriod(), this::rescue));
    threads.add(loop("depth", DEPTH_INTERVAL, this::sampleDepth));
    if (!schedules.isEmpty()) {
      threads.add(loop("scheduler", pollInterval.compareTo(Duration.ofSeconds(1)) < 0 ? pollInterval
          : Duration.ofSeconds(1), this::enqueueTicks));
    }
    if (listener != null) {
      threads.add(Thread.ofVirtual().name("mingus-task-listen-" + id).start(listener));
    }
  }

  private Duration rescuePeriod() {
    Duration quarter = rescueAfter.dividedBy(4);
    return quarter.compareTo(Duration.ofSeconds(15)) > 0 ? Duration.ofSeconds(15) : quarter;
  }

  private Thread loop(String name, Duration period, Runnable work) {
    return Thread.ofVirtual().name("mingus-task-" + name + "-" + id).start(() -> {
      do {
        if (killed) {
          return;
        }
        try {
          work.run();
        } catch (RuntimeException | Error e) {
          LOG.warn("worker {}: {} failed; trying again in {} ms: {}", id, name, period.toMillis(), e.toString());
        }
      } while (pause(period));
    });
  }

  /** Waits {@code d} unless the worker stops first; returns whether it is still running. */
  boolean pause(Duration d) {
    try {
      return !stopSignal.await(Math.max(1, d.toMillis()), TimeUnit.MILLISECONDS) && !killed;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** This worker's id: the lease owner of the tasks it runs. */
  public String id() {
    return id;
  }

  /**
   * Stops gracefully: stops claiming, lets running tasks finish within the shutdown timeout,
   * interrupts the rest and gives their attempts back (queued again, attempt not counted), writes
   * pending completions, then stops heartbeats, the rescuer and the LISTEN connection. Idempotent;
   * a worker never started just becomes stopped.
   */
  @Override
  public void close() {
    if (state.compareAndSet(State.NEW, State.STOPPED)) {
      timeouts.shutdownNow();
      return;
    }
    if (!state.compareAndSet(State.RUNNING, State.STOPPING)) {
      return;
    }
    queue.removeWaker(waker);
    lanes.values().forEach(Lane::wake);
    joinLanes();
    lanesStopped = true;
    if (!awaitDrained(shutdownTimeout)) {
      List<Execution> left = List.copyOf(inFlight.values());
      LOG.warn("worker {}: {} tasks still running after the shutdown timeout of {} ms; interrupting them and giving"
          + " their attempts back", id, left.size(), shutdownTimeout.toMillis());
      left.forEach(Execution::stop);
      if (!awaitDrained(Duration.ofSeconds(5))) {
        for (Execution x : List.copyOf(inFlight.values())) {
          x.abandoned = true;
          runner.giveBackAll(List.of(x), "give-back", clock.instant());
        }
      }
    }
    completer.stop();
    stopSignal.countDown();
    if (listener != null) {
      listener.stop();
    }
    joinAll(Duration.ofSeconds(10));
    timeouts.shutdownNow();
    meters.close();
    state.set(State.STOPPED);
    LOG.info("worker {} stopped", id);
  }

  private void joinLanes() {
    for (Thread t : threads) {
      if (t.getName().startsWith("mingus-task-lane-")) {
        join(t, Duration.ofSeconds(30));
      }
    }
  }

  private void joinAll(Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    for (Thread t : threads) {
      join(t, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
    }
  }

  private static void join(Thread t, Duration max) {
    try {
      if (!t.join(max)) {
        LOG.warn("thread {} did not end within {} ms", t.getName(), max.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private boolean awaitDrained(Duration max) {
    long nanos = max.toNanos();
    drainLock.lock();
    try {
      while (!inFlight.isEmpty()) {
        if (nanos <= 0) {
          return false;
        }
        nanos = drained.awaitNanos(nanos);
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return inFlight.isEmpty();
    } finally {
      drainLock.unlock();
    }
  }

  // ---- used by lanes, the runner and the completer

  boolean claiming() {
    return state.get() == State.RUNNING && !killed;
  }

  boolean killed() {
    return killed;
  }

  Duration pollInterval() {
    return pollInterval;
  }

  boolean breakerOpen() {
    return "open".equals(db.pools().breakerState(PoolName.WORKER));
  }

  TransactionOptions control(String name) {
    return TransactionOptions.named("tasks." + name).withPool(PoolName.WORKER).withPropagation(Propagation.REQUIRES_NEW);
  }

  /**
   * Claims up to {@code want} tasks for {@code lane}, starts those that fit its free slots and
   * leaves the rest ready in it; returns how many were claimed. Only task names whose rate limit
   * has a token now are claimed; the token itself is taken when the task starts.
   */
  int claim(Lane lane, int want) {
    List<String> names = new ArrayList<>(tasks.size());
    for (String name : tasks.keySet()) {
      TokenBucket limit = limits.get(name);
      if (limit == null || limit.available()) {
        names.add(name);
      }
    }
    if (names.isEmpty()) {
      return 0;
    }
    Instant now = clock.instant();
    List<TaskStore.Claimed> claimed;
    try {
      claimed = db.fromTransaction(control("claim"), s -> store.claim(s.connection(), lane.queue, names, want, id, now));
    } catch (java.sql.SQLException e) {
      throw new TaskException("worker " + id + " could not claim tasks of queue '" + lane.queue + "' (SQLState "
          + e.getSQLState() + "): " + e.getMessage(), e);
    }
    List<Execution> xs = new ArrayList<>(claimed.size());
    for (TaskStore.Claimed c : claimed) {
      Execution x = new Execution(c, lane);
      inFlight.put(c.id(), x);
      xs.add(x);
    }
    for (Execution x : lane.accept(xs)) {
      runner.start(x);
    }
    return claimed.size();
  }

  /** Whether {@code x} may start now: its task name has no rate limit, or a token was taken from it. */
  boolean admit(Execution x) {
    TokenBucket limit = limits.get(x.claimed.name());
    return limit == null || limit.tryTake();
  }

  /** How long a lane with nothing to do waits: the poll interval, or less when a rate limit refills sooner. */
  Duration nextWait(Duration poll) {
    Duration wait = poll;
    for (TokenBucket b : limits.values()) {
      Duration next = b.untilNext();
      if (!next.isZero() && next.compareTo(wait) < 0) {
        wait = next;
      }
    }
    return wait;
  }

  /** Marks these completions (of tasks that wrote nothing) in one statement. */
  int succeedAll(List<Execution> batch) {
    List<TaskStore.Claimed> rows = batch.stream().map(x -> x.claimed).toList();
    Instant now = clock.instant();
    return db.fromTransaction(control("complete").withRetry(RetryPolicy.defaults()),
        s -> store.succeedAll(s, rows, id, now));
  }

  /** Forgets a task whose outcome is written (or abandoned). */
  void finished(Execution x) {
    if (inFlight.remove(x.claimed.id(), x)) {
      drainLock.lock();
      try {
        drained.signalAll();
      } finally {
        drainLock.unlock();
      }
    }
  }

  void wake(String queueName) {
    Lane lane = lanes.get(queueName);
    if (lane != null) {
      lane.wake();
    }
  }

  void wakeAll() {
    lanes.values().forEach(Lane::wake);
  }

  // ---- loops

  private void heartbeat() {
    if (heartbeatsPaused || inFlight.isEmpty()) {
      return;
    }
    List<Long> ids = List.copyOf(inFlight.keySet());
    Instant now = clock.instant();
    for (int from = 0; from < ids.size(); from += 1000) {
      List<Long> chunk = ids.subList(from, Math.min(ids.size(), from + 1000));
      db.inTransaction(control("heartbeat"), s -> store.heartbeat(s, id, chunk, now));
    }
  }

  private void rescue() {
    Instant now = clock.instant();
    Instant cutoff = now.minus(rescueAfter);
    while (true) {
      Map<String, Integer> byQueue = new LinkedHashMap<>();
      int seen = db.fromTransaction(control("rescue"), s -> {
        List<TaskStore.Stale> stale = store.stale(s, cutoff, 100);
        for (TaskStore.Stale t : stale) {
          boolean left = t.attempt() < t.maxAttempts();
          if (store.rescue(s, t.id(), left, id, now, cutoff) == 1) {
            byQueue.merge(t.queue(), 1, Integer::sum);
            LOG.warn("worker {} rescued task {} '{}' of queue '{}' (attempt {} of {}): its worker stopped heartbeating"
                + " before {}; {}", id, t.id(), t.name(), t.queue(), t.attempt(), t.maxAttempts(), cutoff,
                left ? "queued again" : "failed");
            Task<?> task = tasks.get(t.name());
            if (!left && task != null) {
              runner.tellTask(task, t.id(), t.payload(), "RESCUED", "its worker stopped heartbeating before " + cutoff
                  + ", with no attempts left");
            } else if (!left) {
              LOG.warn("worker {} failed task {} '{}' without telling it (its onFailure hook): this worker does not"
                  + " run that task; register it here too", id, t.id(), t.name());
            }
          }
        }
        return stale.size();
      });
      byQueue.forEach((q, n) -> {
        meters.rescued(q, n);
        wake(q);
      });
      if (seen < 100) {
        return;
      }
    }
  }

  /** Samples the depth gauges (queued and running tasks per queue) now; also done every 15 s while running. */
  void sampleDepth() {
    meters.depth(queue.admin().activeCounts(), lanes.keySet());
  }

  private void enqueueTicks() {
    Instant now = clock.instant();
    for (Schedule<?> s : schedules) {
      s.enqueueDue(this, now);
    }
  }

  // ---- test hooks

  /**
   * Simulates the process dying: stops every loop without writing anything, interrupts running
   * tasks and rolls their transactions back; their rows stay {@code running} with this worker's
   * lease until a rescuer puts them back.
   */
  void killForTest() {
    killed = true;
    state.set(State.STOPPED);
    queue.removeWaker(waker);
    stopSignal.countDown();
    completer.stop();
    if (listener != null) {
      listener.stop();
    }
    inFlight.values().forEach(x -> {
      Thread t = x.thread;
      if (t != null) {
        t.interrupt();
      }
    });
    joinAll(Duration.ofSeconds(10));
    timeouts.shutdownNow();
  }

  /** Whether the LISTEN connection is up and the lanes were woken after it came up. */
  boolean listeningForTest() {
    return listener != null && listener.listening();
  }

  /** The PostgreSQL backend pid of the LISTEN connection, or 0. */
  int listenerPidForTest() {
    return listener == null ? 0 : listener.backendPid();
  }

  /** Claims the lanes skipped because the worker pool's breaker was open. */
  long skippedWhileBreakerOpenForTest() {
    return lanes.values().stream().mapToLong(l -> l.skippedWhileOpen.get()).sum();
  }

  /** Whether close() has stopped every lane (no more claims). */
  boolean lanesStoppedForTest() {
    return lanesStopped;
  }

  /** Stops (or resumes) this worker's heartbeats, as if it hung. */
  void pauseHeartbeatsForTest(boolean paused) {
    heartbeatsPaused = paused;
  }

  private String concurrencies() {
    StringBuilder sb = new StringBuilder();
    lanes.values().forEach(l -> sb.append(sb.isEmpty() ? "" : ", ").append(l.queue).append('=').append(l.concurrency));
    return sb.toString();
  }

  private String limitsText() {
    return limits.isEmpty() ? "none" : limits.keySet().toString();
  }

  /**
   * Builds a {@link Worker}. Not thread-safe. Every setting is validated when set: a bad value is
   * refused with the rule it breaks.
   */
  public static final class Builder {
    private final Database db;
    private final TaskQueue queue;
    private final Map<String, Task<?>> tasks = new LinkedHashMap<>();
    private final Map<String, Integer> queues = new LinkedHashMap<>();
    private final Map<String, Double> limits = new LinkedHashMap<>();
    private final List<Schedule<?>> schedules = new ArrayList<>();
    private Duration pollInterval = Duration.ofSeconds(1);
    private Duration heartbeatInterval = Duration.ofSeconds(10);
    private Duration rescueAfter = Duration.ofSeconds(60);
    private Duration shutdownTimeout = Duration.ofSeconds(30);
    private RetryPolicy retryPolicy =
        new RetryPolicy(Integer.MAX_VALUE, Duration.ofSeconds(1), Duration.ofMinutes(10), Duration.ofDays(365));
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    private InstantSource clock;
    private String id;
    private boolean claimAhead = true;

    private Builder(Database db, TaskQueue queue) {
      this.db = Objects.requireNonNull(db, "db");
      this.queue = Objects.requireNonNull(queue, "queue");
    }

    /**
     * Registers tasks this worker runs; it claims only tasks whose name is registered.
     *
     * @throws IllegalArgumentException when two tasks share a name
     */
    public Builder register(Task<?>... list) {
      for (Task<?> t : list) {
        Objects.requireNonNull(t.name(), "task name");
        Objects.requireNonNull(t.payloadType(), "payload type of task " + t.name());
        Task<?> old = tasks.putIfAbsent(t.name(), t);
        if (old != null && old != t) {
          throw new IllegalArgumentException("two tasks are named '" + t.name() + "' (" + old.getClass().getName()
              + " and " + t.getClass().getName() + "): task names must be unique");
        }
      }
      return this;
    }

    /**
     * Serves queue {@code name} with up to {@code concurrency} tasks at once (default: queue {@code
     * default} with 4). Each running task holds a worker-pool connection.
     */
    public Builder queue(String name, int concurrency) {
      Objects.requireNonNull(name, "queue name");
      if (concurrency < 1 || concurrency > 10_000) {
        throw new IllegalArgumentException("concurrency of queue '" + name + "' must be 1 to 10000, was " + concurrency);
      }
      queues.put(name, concurrency);
      return this;
    }

    /** How often an idle lane looks for due tasks (default 1 s; NOTIFY wakes it earlier on PostgreSQL). */
    public Builder pollInterval(Duration d) {
      pollInterval = positive("pollInterval", d);
      return this;
    }

    /**
     * Whether each queue claims up to twice its concurrency in tasks ready to run beyond the running
     * ones (default true; db-scheduler's lock-and-fetch default also holds up to three times its
     * threads), so that a slot whose task ends starts the next one without waiting for a claim.
     * Claimed tasks that wait over a second for a slot (the running tasks are long) are given back
     * to the queue for other workers, and the queue stops claiming ahead for 10 s. Off: a queue
     * claims only into free slots.
     */
    public Builder claimAhead(boolean on) {
      claimAhead = on;
      return this;
    }

    /** How often the leases of running tasks are refreshed (default 10 s); well below {@code rescueAfter}. */
    public Builder heartbeatInterval(Duration d) {
      heartbeatInterval = positive("heartbeatInterval", d);
      return this;
    }

    /** A running task whose heartbeat is older than this is put back by any worker's rescuer (default 60 s). */
    public Builder rescueAfter(Duration d) {
      rescueAfter = positive("rescueAfter", d);
      return this;
    }

    /** How long {@link Worker#close()} lets running tasks finish (default 30 s). */
    public Builder shutdownTimeout(Duration d) {
      shutdownTimeout = positive("shutdownTimeout", d);
      return this;
    }

    /**
     * The backoff of re-queued attempts: after attempt {@code n} fails, the task runs again after
     * {@code policy.delay(n)} (full jitter up to {@code min(maxDelay, baseDelay * 2^(n-1))}). Only
     * the delays are used: the attempt cap is each task's {@link TaskOptions#maxAttempts()}.
     * Default: base 1 s, cap 10 min.
     */
    public Builder retryPolicy(RetryPolicy p) {
      retryPolicy = Objects.requireNonNull(p, "retryPolicy");
      return this;
    }

    /**
     * Starts at most {@code perSecond} tasks named {@code taskName} a second in this worker (a burst
     * of one second's worth). Other task names are not held up: while the limit is used up, this
     * name is left out of claims.
     */
    public Builder rateLimit(String taskName, double perSecond) {
      Objects.requireNonNull(taskName, "taskName");
      if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
        throw new IllegalArgumentException("the rate limit of task '" + taskName
            + "' must be a positive number of tasks per second, was " + perSecond);
      }
      limits.put(taskName, perSecond);
      return this;
    }

    /**
     * Enqueues {@code task} once per tick of {@code cron} (five fields, UTC; see {@link Cron}) with
     * default options, however many workers carry the same schedule. At start the latest tick not
     * after now is enqueued if no worker did so. The task is registered too.
     *
     * @throws IllegalArgumentException when the cron expression is not valid
     */
    public <P> Builder schedule(String scheduleName, String cron, Task<P> task, Supplier<P> payload) {
      return schedule(scheduleName, cron, task, payload, TaskOptions.defaults());
    }

    /** As {@link #schedule(String, String, Task, Supplier)}, with these options (their unique key and run-at are replaced). */
    public <P> Builder schedule(String scheduleName, String cron, Task<P> task, Supplier<P> payload,
        TaskOptions options) {
      Objects.requireNonNull(scheduleName, "scheduleName");
      if (schedules.stream().anyMatch(s -> s.name().equals(scheduleName))) {
        throw new IllegalArgumentException("schedule '" + scheduleName + "' is defined twice");
      }
      schedules.add(new Schedule<>(scheduleName, Cron.parse(cron, ZoneOffset.UTC), task,
          Objects.requireNonNull(payload, "payload"), Objects.requireNonNull(options, "options")));
      register(task);
      return this;
    }

    /** The clock of claims, heartbeats, backoff, rescue and schedules (default: the queue's clock). */
    public Builder clock(InstantSource c) {
      clock = Objects.requireNonNull(c, "clock");
      return this;
    }

    /** This worker's id, unique among all workers (default: host-pid-random). */
    public Builder id(String workerId) {
      Objects.requireNonNull(workerId, "workerId");
      if (workerId.isBlank() || workerId.length() > 200) {
        throw new IllegalArgumentException("a worker id must be 1 to 200 characters, was '" + workerId + "'");
      }
      id = workerId;
      return this;
    }

    /** The source of jitter in [0, 1); tests pin it. */
    Builder random(DoubleSupplier r) {
      random = Objects.requireNonNull(r, "random");
      return this;
    }

    /**
     * Builds the worker (not started).
     *
     * @throws IllegalStateException when no task is registered
     */
    public Worker build() {
      if (tasks.isEmpty()) {
        throw new IllegalStateException("a worker needs at least one task: call register(...)");
      }
      for (String name : limits.keySet()) {
        if (!tasks.containsKey(name)) {
          throw new IllegalStateException("rate limit for task '" + name + "', which is not registered; registered: "
              + tasks.keySet());
        }
      }
      if (heartbeatInterval.compareTo(rescueAfter) >= 0) {
        throw new IllegalStateException("heartbeatInterval (" + heartbeatInterval.toMillis() + " ms) must be shorter"
            + " than rescueAfter (" + rescueAfter.toMillis() + " ms), or live tasks would be rescued; about a sixth is"
            + " good");
      }
      return new Worker(this);
    }

    private static Duration positive(String what, Duration d) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, was " + d);
      }
      return d;
    }
  }
}
