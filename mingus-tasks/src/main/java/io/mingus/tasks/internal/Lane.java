package io.mingus.tasks.internal;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One queue of a worker: up to {@code concurrency} running tasks, a buffer of claimed tasks ready
 * to run, and a fetcher {@link Loop} that claims in one short transaction.
 *
 * <p>Claiming ahead. A claim is a transaction with a commit, so claiming only into free slots
 * would make every finished task wait for a claim. Instead the fetcher keeps up to {@code ahead}
 * claimed tasks ready beyond the running ones and refills the buffer when it is half empty, while
 * the running tasks go on; a slot whose task ends takes the next ready task at once, on the same
 * virtual thread. Ready tasks belong to this worker (they are heartbeated like running ones), so
 * the buffer must not hold them long: a task still not started after {@link #STALE} (the running
 * tasks are long) is given back for other workers, and the lane stops claiming ahead for {@link
 * #AHEAD_PAUSE}. When the lane stops, its ready tasks are given back.
 *
 * <p>When the queue had fewer due tasks than asked for, the fetcher waits for a {@link #wake()} (a
 * NOTIFY, an enqueue in this process) or the poll interval. While the worker pool's circuit breaker
 * is open it does not claim. Thread-safe.
 */
public final class Lane implements ReadyQueue {
  private static final Logger LOG = LoggerFactory.getLogger(Lane.class);
  /** How long the fetcher waits for room before it looks at the worker's state again. */
  private static final long CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  /** A ready task not started within this is given back. */
  public static final Duration STALE = Duration.ofSeconds(1);
  /** How long a lane stops claiming ahead after giving back stale ready tasks. */
  public static final Duration AHEAD_PAUSE = Duration.ofSeconds(10);
  /**
   * The most tasks one claim takes: a queue of concurrency 1,000 fills its slots in a few short
   * transactions, the first slots starting while the next claim runs, rather than in one long one.
   */
  public static final int MAX_CLAIM = 500;

  /** Claims tasks of a queue for this worker: registered in flight, not yet started. */
  @FunctionalInterface
  public interface Claims {
    List<Execution> claim(String queue, int want);
  }

  /** Starts a slot: runs {@code first}, then takes the next ready tasks from {@code lane}. */
  @FunctionalInterface
  public interface Slots {
    void start(Execution first, ReadyQueue lane);
  }

  /**
   * What a lane needs.
   *
   * @param workerId for logs
   * @param queue the queue it serves
   * @param concurrency running tasks at most
   * @param ahead claimed tasks ready beyond the running ones at most (0: claim into free slots only)
   * @param pollInterval how long an idle fetcher waits unless woken
   * @param lifecycle whether the worker still claims, or halted
   * @param breakerOpen whether the worker pool's circuit breaker is open now
   * @param claims claims tasks
   * @param slots starts slots
   * @param giveBack gives stale and leftover ready tasks back
   * @param nextWait the wait of an idle fetcher given the poll interval (rate limits may shorten it)
   * @param clock the clock of given-back tasks' run-at
   * @param nanoTime the monotonic clock of the ready buffer's ages ({@link System#nanoTime()})
   */
  public record Context(String workerId, String queue, int concurrency, int ahead, Duration pollInterval,
      Lifecycle lifecycle, BooleanSupplier breakerOpen, Claims claims, Slots slots, GiveBack giveBack,
      UnaryOperator<Duration> nextWait, InstantSource clock, LongSupplier nanoTime) {}

  private record Ready(Execution x, long since) {}

  private final Context ctx;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition room = lock.newCondition();
  private final ArrayDeque<Ready> ready = new ArrayDeque<>();
  private final AtomicLong skippedWhileOpen = new AtomicLong();
  private int running;
  private boolean closed;
  private long aheadPausedUntil;
  private volatile Loop loop;

  public Lane(Context ctx) {
    this.ctx = ctx;
    this.aheadPausedUntil = ctx.nanoTime().getAsLong();
  }

  @Override
  public String queue() {
    return ctx.queue();
  }

  public int concurrency() {
    return ctx.concurrency();
  }

  /** Claims not even tried because the worker pool's circuit breaker was open (a test signal). */
  public long skippedWhileBreakerOpen() {
    return skippedWhileOpen.get();
  }

  /** Starts the fetcher. */
  public Thread start() {
    Loop l = new Loop("mingus-task-lane-" + ctx.queue() + "-" + ctx.workerId(), "worker " + ctx.workerId()
        + ": claiming tasks of queue '" + ctx.queue() + "'", this::step, ctx.pollInterval(), ctx.pollInterval(),
        this::exit);
    loop = l;
    return l.start();
  }

  /** Stops the fetcher after its current claim; it gives back the ready tasks as it ends. */
  public void stop() {
    Loop l = loop;
    if (l != null) {
      l.stop();
    }
    signalRoom();
  }

  /** Waits at most {@code max} for the fetcher to end. */
  public boolean join(Duration max) throws InterruptedException {
    Loop l = loop;
    return l == null || l.join(max);
  }

  /** Ends a wait for work at once. */
  public void wake() {
    Loop l = loop;
    if (l != null) {
      l.wake();
    }
    signalRoom();
  }

  private void signalRoom() {
    lock.lock();
    try {
      room.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * One turn of the fetcher: gives back stale ready tasks, waits for room, claims; returns the wait
   * before the next turn.
   */
  Duration step() throws InterruptedException {
    List<Execution> stale = takeStale();
    if (!stale.isEmpty()) {
      LOG.debug("worker {} gives back {} tasks of queue '{}' that waited over {} ms for a slot; claiming ahead paused"
          + " for {} s", ctx.workerId(), stale.size(), ctx.queue(), STALE.toMillis(), AHEAD_PAUSE.toSeconds());
      ctx.giveBack().giveBack(stale, "give-back-stale", ctx.clock().instant());
    }
    int want = Math.min(awaitRoom(), MAX_CLAIM);
    if (want == 0) {
      // not claiming any more: the worker stops this fetcher, and its stop ends the wait
      return ctx.lifecycle().claiming() ? Duration.ZERO : ctx.pollInterval();
    }
    int got = 0;
    if (ctx.breakerOpen().getAsBoolean()) {
      skippedWhileOpen.incrementAndGet();
    } else if (ctx.lifecycle().claiming()) {
      List<Execution> claimed = ctx.claims().claim(ctx.queue(), want);
      for (Execution x : accept(claimed)) {
        ctx.slots().start(x, this);
      }
      got = claimed.size();
    }
    Duration wait = ctx.nextWait().apply(ctx.pollInterval());
    if (got >= want) {
      return Duration.ZERO;
    }
    return readyCount() > 0 && STALE.compareTo(wait) < 0 ? STALE : wait;
  }

  /**
   * Takes claimed tasks: into free slots (returned, for the caller to start) or, beyond them, into
   * the ready buffer.
   */
  List<Execution> accept(List<Execution> claimed) {
    List<Execution> start = new ArrayList<>(claimed.size());
    long now = ctx.nanoTime().getAsLong();
    lock.lock();
    try {
      for (Execution x : claimed) {
        if (running < ctx.concurrency()) {
          running++;
          start.add(x);
        } else {
          ready.add(new Ready(x, now));
        }
      }
    } finally {
      lock.unlock();
    }
    return start;
  }

  @Override
  public Execution next() {
    lock.lock();
    try {
      Ready r = closed || !ctx.lifecycle().claiming() ? null : ready.poll();
      if (r == null) {
        running--;
      }
      room.signalAll();
      return r == null ? null : r.x();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public List<Execution> takeReady(String name) {
    lock.lock();
    try {
      List<Execution> out = new ArrayList<>();
      ready.removeIf(r -> r.x().claimed().name().equals(name) && out.add(r.x()));
      return out;
    } finally {
      lock.unlock();
    }
  }

  /** Tasks claimed but not yet started. */
  int readyCount() {
    lock.lock();
    try {
      return ready.size();
    } finally {
      lock.unlock();
    }
  }

  /** Tasks running in this lane's slots. */
  int runningCount() {
    lock.lock();
    try {
      return running;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits (at most {@link #CHECK_NANOS}) until the lane should claim, and returns how many: when a
   * slot is free and nothing is ready, or the ready buffer fell to half; then as many as fill the
   * slots and the buffer. Returns 0 when it is not time yet.
   */
  private int awaitRoom() throws InterruptedException {
    lock.lock();
    try {
      long nanos = CHECK_NANOS;
      while (true) {
        boolean aheadOn = ctx.ahead() > 0 && ctx.nanoTime().getAsLong() - aheadPausedUntil >= 0;
        int want = ctx.concurrency() + (aheadOn ? ctx.ahead() : 0) - running - ready.size();
        if (want > 0 && ready.size() <= (aheadOn ? ctx.ahead() / 2 : 0)) {
          return want;
        }
        if (nanos <= 0 || !ctx.lifecycle().claiming()) {
          return 0;
        }
        nanos = room.awaitNanos(nanos);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Takes out ready tasks that waited longer than {@link #STALE}, and pauses claiming ahead. */
  private List<Execution> takeStale() {
    long now = ctx.nanoTime().getAsLong();
    long cutoff = now - STALE.toNanos();
    List<Execution> stale = List.of();
    lock.lock();
    try {
      while (!ready.isEmpty() && ready.peek().since() - cutoff < 0) {
        if (stale.isEmpty()) {
          stale = new ArrayList<>();
        }
        stale.add(ready.poll().x());
      }
      if (!stale.isEmpty()) {
        aheadPausedUntil = now + AHEAD_PAUSE.toNanos();
      }
    } finally {
      lock.unlock();
    }
    return stale;
  }

  /** As the fetcher ends: closes the lane and gives back every ready task, unless the worker halted. */
  private void exit() {
    List<Execution> left;
    lock.lock();
    try {
      closed = true;
      left = ready.stream().map(Ready::x).toList();
      ready.clear();
    } finally {
      lock.unlock();
    }
    if (!left.isEmpty() && !ctx.lifecycle().halted()) {
      ctx.giveBack().giveBack(left, "give-back", ctx.clock().instant());
    }
  }
}
