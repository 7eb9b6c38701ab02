package io.mingus.tasks;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One queue of a worker: up to {@code concurrency} running tasks, a buffer of claimed tasks ready
 * to run, and a fetcher loop on a virtual thread that claims in one short transaction.
 *
 * <p>Claiming ahead. A claim is a transaction with a commit, so claiming only into free slots
 * would make every finished task wait for a claim. Instead the fetcher keeps up to {@code ahead}
 * claimed tasks ready beyond the running ones and refills the buffer when it is half empty, while
 * the running tasks go on; a slot whose task ends takes the next ready task at once, on the same
 * virtual thread. Ready tasks belong to this worker (they are heartbeated like running ones), so
 * the buffer must not hold them long: a task still not started after {@link #STALE} (the running
 * tasks are long) is given back for other workers, and the lane stops claiming ahead for {@link
 * #AHEAD_PAUSE}. At shutdown the ready tasks are given back.
 *
 * <p>When the queue had fewer due tasks than asked for, the fetcher waits for a wake-up (a
 * NOTIFY, an enqueue in this process) or the poll interval.
 */
final class Lane implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(Lane.class);
  /** How long the fetcher waits for room before it looks at the worker's state again. */
  private static final long CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  static final Duration STALE = Duration.ofSeconds(1);
  static final Duration AHEAD_PAUSE = Duration.ofSeconds(10);

  final String queue;
  final int concurrency;
  private final int ahead;
  private final Worker worker;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition room = lock.newCondition();
  private final ArrayDeque<Execution> ready = new ArrayDeque<>();
  private int running;
  private boolean closed;
  private long aheadPausedUntil = System.nanoTime();
  private final Semaphore wake = new Semaphore(0);
  private volatile boolean failing;
  /** Claims not even tried because the worker pool's circuit breaker was open. */
  final AtomicLong skippedWhileOpen = new AtomicLong();

  Lane(Worker worker, String queue, int concurrency, int ahead) {
    this.worker = worker;
    this.queue = queue;
    this.concurrency = concurrency;
    this.ahead = ahead;
  }

  /** Ends a wait for work at once. */
  void wake() {
    if (wake.availablePermits() == 0) {
      wake.release();
    }
    lock.lock();
    try {
      room.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes claimed tasks: into free slots (returned, for the caller to start) or, beyond them, into
   * the ready buffer. Called by the fetcher only, which is also the one that closes the lane.
   */
  List<Execution> accept(List<Execution> claimed) {
    List<Execution> start = new ArrayList<>(claimed.size());
    long now = System.nanoTime();
    lock.lock();
    try {
      for (Execution x : claimed) {
        if (running < concurrency) {
          running++;
          start.add(x);
        } else {
          x.readySince = now;
          ready.add(x);
        }
      }
    } finally {
      lock.unlock();
    }
    return start;
  }

  /**
   * Called by a slot whose task ended: the next ready task for the same slot, or null when there
   * is none (the slot is freed) or the lane closed.
   */
  Execution next() {
    lock.lock();
    try {
      Execution x = closed || !worker.claiming() ? null : ready.poll();
      if (x == null) {
        running--;
      }
      room.signalAll();
      return x;
    } finally {
      lock.unlock();
    }
  }

  /** Takes out the ready tasks named {@code name}. */
  List<Execution> takeReady(String name) {
    lock.lock();
    try {
      List<Execution> out = new ArrayList<>();
      ready.removeIf(x -> x.claimed.name().equals(name) && out.add(x));
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
        boolean aheadOn = ahead > 0 && System.nanoTime() - aheadPausedUntil >= 0;
        int want = concurrency + (aheadOn ? ahead : 0) - running - ready.size();
        if (want > 0 && ready.size() <= (aheadOn ? ahead / 2 : 0)) {
          return want;
        }
        if (nanos <= 0 || !worker.claiming()) {
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
    long now = System.nanoTime();
    long cutoff = now - STALE.toNanos();
    List<Execution> stale = List.of();
    lock.lock();
    try {
      while (!ready.isEmpty() && ready.peek().readySince - cutoff < 0) {
        if (stale.isEmpty()) {
          stale = new ArrayList<>();
        }
        stale.add(ready.poll());
      }
      if (!stale.isEmpty()) {
        aheadPausedUntil = now + AHEAD_PAUSE.toNanos();
      }
    } finally {
      lock.unlock();
    }
    return stale;
  }

  /** Closes the lane and takes out every ready task. */
  private List<Execution> close() {
    lock.lock();
    try {
      closed = true;
      List<Execution> left = new ArrayList<>(ready);
      ready.clear();
      return left;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void run() {
    try {
      while (worker.claiming()) {
        List<Execution> stale = takeStale();
        if (!stale.isEmpty()) {
          LOG.debug("worker {} gives back {} tasks of queue '{}' that waited over {} ms for a slot; claiming ahead"
              + " paused for {} s", worker.id(), stale.size(), queue, STALE.toMillis(), AHEAD_PAUSE.toSeconds());
          worker.runner.giveBackAll(stale, "give-back-stale", worker.clock.instant());
        }
        int want = awaitRoom();
        if (want == 0) {
          continue;
        }
        int got = 0;
        Duration wait = worker.pollInterval();
        try {
          if (worker.breakerOpen()) {
            skippedWhileOpen.incrementAndGet();
          } else if (worker.claiming()) {
            got = worker.claim(this, want);
            failing = false;
          }
          wait = worker.nextWait(wait);
        } catch (RuntimeException e) {
          if (!failing) {
            LOG.warn("worker {} could not claim tasks of queue '{}'; retrying every {} ms: {}", worker.id(), queue,
                wait.toMillis(), e.toString());
          }
          failing = true;
        }
        if (got < want) {
          long millis = readyCount() > 0 ? Math.min(wait.toMillis(), STALE.toMillis()) : wait.toMillis();
          wake.tryAcquire(Math.max(1, millis), TimeUnit.MILLISECONDS);
          wake.drainPermits();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      List<Execution> left = close();
      if (!left.isEmpty() && !worker.killed()) {
        worker.runner.giveBackAll(left, "give-back", worker.clock.instant());
      }
    }
  }
}
