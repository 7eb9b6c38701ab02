package io.mingus.tasks.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.mingus.db.BreakerState;
import io.mingus.db.Database;
import io.mingus.db.PoolName;
import io.mingus.tasks.PhasedTask;
import io.mingus.tasks.WorkerConfig;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The services of one worker, wired together, and their life from start to close.
 *
 * <p>How a worker is put together. Each moving part is a service of its own, built here from a
 * narrow context, and none of them knows this class: a {@link Lane} per queue claims through the
 * {@link Claimer} and starts slots on the {@link Runner}, which runs attempts and writes their
 * outcomes, handing the completions of tasks that wrote nothing to the {@link Completer}; a {@link
 * io.mingus.tasks.PhasedTask} is prepared by the claimer in the claim's transaction, called on its
 * slot holding no connection, and recorded by the completer with its completion; attempts
 * given back go through {@link GiveBack}; the {@link InFlight} set holds every attempt from claim to
 * outcome, and the {@link Heartbeater} refreshes their leases. The {@link Rescuer} puts back tasks of
 * dead workers (by lease, and on PostgreSQL by the {@link WorkerSession} each worker's LISTEN
 * connection carries), the {@link DepthSampler} samples queue depths, the {@link ScheduleEnqueuer}
 * enqueues periodic tasks, and on PostgreSQL the {@link Listener} wakes lanes on NOTIFY. Background
 * work runs in {@link Loop}s; the shared {@link Lifecycle} says whether the worker still claims or
 * halted.
 *
 * <p>Stopping is ordered: the lanes stop claiming first (giving back their ready tasks), running
 * tasks finish within the shutdown timeout while heartbeats go on, tasks still running then are
 * interrupted and given back, the completer writes what is pending, and only then do the heartbeats,
 * rescuer, sampler, schedules and LISTEN stop. Halting (a test's simulated crash) stops everything
 * without writing anything more. Thread-safe.
 */
public final class WorkerRuntime {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerRuntime.class);
  /** How long close() waits for a lane's fetcher to end. */
  static final Duration LANE_JOIN = Duration.ofSeconds(30);
  /** How long close() waits for interrupted tasks before it gives them back itself. */
  static final Duration ABANDON_WAIT = Duration.ofSeconds(5);
  /** How long close() waits for the remaining threads to end. */
  static final Duration JOIN_ALL = Duration.ofSeconds(10);

  /**
   * What a worker is built from.
   *
   * @param db the database
   * @param config the worker's configuration
   * @param id the worker's id (resolved when the configuration has none)
   * @param clock the worker's clock (resolved when the configuration has none)
   * @param store the task table
   * @param json reads payloads
   * @param wakeups this process's enqueues wake the worker through it
   * @param schedules the worker's periodic tasks
   */
  public record Setup(Database db, WorkerConfig config, String id, InstantSource clock, TaskStore store,
      ObjectMapper json, LocalWakeups wakeups, List<ScheduleEnqueuer.Entry> schedules) {}

  private final Setup setup;
  private final Lifecycle lifecycle = new Lifecycle();
  private final InFlight inFlight = new InFlight();
  private final TaskMeters meters;
  private final ScheduledExecutorService timeouts;
  private final Completer completer;
  private final GiveBack giveBack;
  private final Map<String, Lane> lanes = new LinkedHashMap<>();
  private final Consumer<String> waker;
  private final Heartbeater heartbeater;
  private final Rescuer rescuer;
  private final DepthSampler depth;
  private final ScheduleEnqueuer schedules;
  private final Listener listener;
  private final WorkerSession session;
  private final List<Loop> loops = new ArrayList<>();
  private Thread completerThread;
  private volatile boolean lanesStopped;

  /** Builds every service; nothing runs until {@link #start()}. */
  public WorkerRuntime(Setup s) {
    this.setup = s;
    WorkerConfig c = s.config();
    this.meters = new TaskMeters(s.db().meterRegistry());
    // the counts an operator alerts on exist from the start, at zero
    c.queues().keySet().forEach(q -> {
      for (Rescuer.Cause cause : Rescuer.Cause.values()) {
        meters.rescued(q, cause.label(), 0);
      }
    });
    this.timeouts = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon()
        .name("mingus-task-timeouts-" + s.id()).factory());
    WorkerDb wdb = new WorkerDb(s.db(), s.store(), s.id(), s.clock());
    RateLimits limits = new RateLimits(c.rateLimits(), s.clock());
    FailureHooks hooks = new FailureHooks(s.db(), s.json());
    this.completer = new Completer(wdb, inFlight, lifecycle);
    this.giveBack = GiveBack.through(wdb, inFlight);
    Runner runner = new Runner(new Runner.Context(wdb, c.tasks(), s.json(), c.retryPolicy(), c.random(), meters,
        timeouts, limits, inFlight, completer, giveBack, hooks, lifecycle));
    Claimer claimer = new Claimer(wdb, c.tasks(), s.json(), limits, inFlight);
    BooleanSupplier breakerOpen = () -> s.db().pools().breakerState(PoolName.WORKER) == BreakerState.OPEN;
    c.queues().forEach((q, n) -> lanes.put(q, new Lane(new Lane.Context(s.id(), q, n, c.readyBuffer(n),
        c.pollInterval(), lifecycle, breakerOpen, claimer, runner, giveBack, limits::nextWait, s.clock(),
        System::nanoTime))));
    Map<String, Lane> byQueue = lanes;
    this.waker = queue -> {
      Lane lane = byQueue.get(queue);
      if (lane != null) {
        lane.wake();
      }
    };
    this.heartbeater = new Heartbeater(wdb, inFlight);
    this.rescuer = new Rescuer(new Rescuer.Context(wdb, c.rescueAfter(), c.tasks(), hooks, meters, waker));
    this.depth = new DepthSampler(s.db(), s.store(), meters, List.copyOf(c.queues().keySet()));
    this.schedules = new ScheduleEnqueuer(s.db(), s.clock(), s.schedules());
    Consumer<String> wake = waker;
    // behind PgBouncer with no direct URL there is no session to listen on or to tie liveness to
    boolean direct = s.db().config().directUrl().isPresent();
    this.session = s.store().tracksSessions() && direct ? new WorkerSession(wdb) : null;
    this.listener = !s.store().notifies() || !direct ? null : new Listener(s.db().config().directUrl().orElseThrow(),
        s.store().channel(), s.id(), new Listener.Wakeups() {
          @Override
          public void wake(String queue) {
            wake.accept(queue);
          }

          @Override
          public void wakeAll() {
            byQueue.values().forEach(Lane::wake);
          }
        }, session);
  }

  /**
   * Starts the completer, the lanes and the background loops.
   *
   * @throws IllegalStateException when called twice
   */
  public void start() {
    if (!lifecycle.move(Lifecycle.State.NEW, Lifecycle.State.RUNNING)) {
      throw new IllegalStateException("worker " + setup.id() + " was already started (state " + lifecycle.state()
          + ")");
    }
    logStart();
    setup.wakeups().add(waker);
    completerThread = Thread.ofVirtual().name("mingus-task-completer-" + setup.id()).start(completer);
    lanes.values().forEach(Lane::start);
    WorkerConfig c = setup.config();
    loop("heartbeat", c.heartbeatInterval(), heartbeater::beat);
    loop("rescuer", Rescuer.period(c.rescueAfter()), rescuer::rescue);
    if (session != null) {
      WorkerSession own = session;
      loop("sessions", Rescuer.SESSION_PERIOD, () -> {
        own.registerIfPending();
        rescuer.rescueOrphans();
      });
    }
    loop("depth", DepthSampler.PERIOD, depth::sample);
    if (!schedules.isEmpty()) {
      loop("scheduler", ScheduleEnqueuer.period(c.pollInterval()), schedules::enqueueDue);
    }
    if (listener != null) {
      Loop l = new Loop("mingus-task-listen-" + setup.id(), "worker " + setup.id() + ": LISTEN on channel "
          + listener.channel() + " (polling meanwhile)", listener::step, Listener.FIRST_BACKOFF, Listener.MAX_BACKOFF,
          listener::drop);
      loops.add(l);
      l.start();
    }
  }

  private void loop(String name, Duration period, Runnable work) {
    Loop l = Loop.every("mingus-task-" + name + "-" + setup.id(), "worker " + setup.id() + ": " + name, period, work);
    loops.add(l);
    l.start();
  }

  private void logStart() {
    WorkerConfig c = setup.config();
    int total = c.queues().values().stream().mapToInt(Integer::intValue).sum();
    int poolMax = setup.db().pools().config(PoolName.WORKER).maxSize();
    LOG.info("worker {} starting: queues {}, tasks {}, poll {} ms, heartbeat {} ms, rescue after {} ms, rate limits {},"
        + " schedules {}, {}", setup.id(), c.queues(), c.tasks().keySet(), c.pollInterval().toMillis(),
        c.heartbeatInterval().toMillis(), c.rescueAfter().toMillis(),
        c.rateLimits().isEmpty() ? "none" : c.rateLimits().keySet(), c.schedules().size(),
        listener != null ? "LISTEN/NOTIFY on " + listener.channel()
            : setup.store().notifies() ? "polling (no direct connection for LISTEN)" : "polling (H2)");
    if (listener == null && setup.store().notifies()) {
      LOG.warn("worker {} wakes by polling every {} ms, not by LISTEN/NOTIFY: the pools go through PgBouncer"
          + " (DB_PGBOUNCER=true), whose transaction pooling cannot keep a LISTEN, and DATABASE_DIRECT_URL is not set."
          + " Set DATABASE_DIRECT_URL to PostgreSQL itself (not PgBouncer) for instant wake-ups", setup.id(),
          c.pollInterval().toMillis());
    }
    boolean holding = c.tasks().values().stream().anyMatch(t -> !(t instanceof PhasedTask<?, ?, ?>));
    if (holding && total >= poolMax) {
      LOG.warn("worker {} runs up to {} tasks at once but the worker pool holds at most {} connections: each running"
          + " task holds one (phased tasks hold none during their call), so claims, heartbeats and outcomes wait for"
          + " a free one. Set WORKER_DB_POOL_SIZE / WORKER_DB_MAX_OVERFLOW to at least {} or lower the concurrency",
          setup.id(), total, poolMax, total + 2);
    }
  }

  /**
   * Stops gracefully (see the class comment); idempotent. A worker never started just becomes
   * stopped.
   */
  public void close() {
    if (lifecycle.move(Lifecycle.State.NEW, Lifecycle.State.STOPPED)) {
      timeouts.shutdownNow();
      return;
    }
    if (!lifecycle.move(Lifecycle.State.RUNNING, Lifecycle.State.STOPPING)) {
      return;
    }
    setup.wakeups().remove(waker);
    lanes.values().forEach(Lane::stop);
    long deadline = System.nanoTime() + LANE_JOIN.toNanos();
    for (Lane lane : lanes.values()) {
      join("the fetcher of queue '" + lane.queue() + "'", max -> lane.join(max), deadline);
    }
    lanesStopped = true;
    drain();
    completer.stop();
    loops.forEach(Loop::stop);
    if (session != null) {
      session.unregister();
    }
    if (listener != null) {
      listener.close();
    }
    joinAll();
    timeouts.shutdownNow();
    meters.close();
    lifecycle.stopped();
    LOG.info("worker {} stopped", setup.id());
  }

  /** Lets running tasks finish within the shutdown timeout; interrupts the rest and gives their attempts back. */
  private void drain() {
    Duration timeout = setup.config().shutdownTimeout();
    if (inFlight.awaitEmpty(timeout)) {
      return;
    }
    List<Execution> left = inFlight.executions();
    LOG.warn("worker {}: {} tasks still running after the shutdown timeout of {} ms; interrupting them and giving"
        + " their attempts back", setup.id(), left.size(), timeout.toMillis());
    left.forEach(Execution::stop);
    if (!inFlight.awaitEmpty(ABANDON_WAIT)) {
      for (Execution x : inFlight.executions()) {
        x.abandon();
        giveBack.giveBack(List.of(x), "give-back", setup.clock().instant());
      }
    }
  }

  /**
   * Stops as if the process died: every loop ends without writing anything, running tasks are
   * interrupted and their transactions roll back; their rows stay {@code running} under this
   * worker's lease until a rescuer puts them back. For tests of recovery.
   */
  public void halt() {
    lifecycle.halt();
    setup.wakeups().remove(waker);
    lanes.values().forEach(Lane::stop);
    completer.stop();
    loops.forEach(Loop::stop);
    if (listener != null) {
      listener.close();
    }
    inFlight.executions().forEach(Execution::interrupt);
    joinAll();
    timeouts.shutdownNow();
  }

  @FunctionalInterface
  private interface Joinable {
    boolean join(Duration max) throws InterruptedException;
  }

  private void joinAll() {
    long deadline = System.nanoTime() + JOIN_ALL.toNanos();
    for (Lane lane : lanes.values()) {
      join("the fetcher of queue '" + lane.queue() + "'", lane::join, deadline);
    }
    Thread t = completerThread;
    if (t != null) {
      join(t.getName(), t::join, deadline);
    }
    for (Loop l : loops) {
      join("a background loop", l::join, deadline);
    }
  }

  private static void join(String what, Joinable j, long deadlineNanos) {
    Duration max = Duration.ofNanos(Math.max(1, deadlineNanos - System.nanoTime()));
    try {
      if (!j.join(max)) {
        LOG.warn("{} did not end within {} ms", what, max.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- the services, for tests

  public Completer completer() {
    return completer;
  }

  public Heartbeater heartbeater() {
    return heartbeater;
  }

  public DepthSampler depth() {
    return depth;
  }

  /** The session that carries this worker's liveness; empty on H2. */
  public Optional<WorkerSession> session() {
    return Optional.ofNullable(session);
  }

  /** The LISTEN connection's service; empty on H2. */
  public Optional<Listener> listener() {
    return Optional.ofNullable(listener);
  }

  public Collection<Lane> lanes() {
    return List.copyOf(lanes.values());
  }

  /** Whether close() has stopped every lane (no more claims). */
  public boolean lanesStopped() {
    return lanesStopped;
  }
}
