package io.mingus.db;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A steady stream of small transactions on one or more pools, for outage tests: every {@code
 * every} each pool starts a transaction (on a virtual thread, at most {@code concurrency} at once
 * per pool) and the outcome is recorded with its time. Pacing is a scheduler's fixed rate, so a
 * refused transaction does not spin. {@link #close()} stops it. Thread-safe.
 */
public final class TransactionLoad implements AutoCloseable {
  /** One finished transaction: its pool, when it ended ({@link System#nanoTime()}) and its failure or null. */
  public record Outcome(PoolName pool, long endNanos, Throwable failure) {}

  /** The work of one transaction. */
  @FunctionalInterface
  public interface Work {
    /** Runs one transaction on {@code pool}. */
    void run(Database db, PoolName pool) throws Exception;
  }

  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().daemon().name("transaction-load").factory());
  private final List<Outcome> outcomes = new CopyOnWriteArrayList<>();
  private final Map<PoolName, Semaphore> slots = new ConcurrentHashMap<>();
  private final int concurrency;

  private TransactionLoad(Database db, List<PoolName> pools, int concurrency, Duration every, Work work) {
    this.concurrency = concurrency;
    for (PoolName pool : pools) {
      slots.put(pool, new Semaphore(concurrency));
      scheduler.scheduleAtFixedRate(() -> {
        Semaphore slot = slots.get(pool);
        if (slot.tryAcquire()) {
          Thread.startVirtualThread(() -> {
            Throwable failure = null;
            try {
              work.run(db, pool);
            } catch (Throwable t) {
              failure = t;
            } finally {
              slot.release();
            }
            outcomes.add(new Outcome(pool, System.nanoTime(), failure));
          });
        }
      }, 0, every.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  /** Starts a stream of {@code SELECT 1} transactions named {@code load} on each of {@code pools}. */
  public static TransactionLoad selectOne(Database db, List<PoolName> pools, int concurrency, Duration every) {
    return start(db, pools, concurrency, every, (d, pool) -> d.inTransaction(
        TransactionOptions.named("load").withPool(pool), s -> s.queryOne("SELECT 1", rs -> rs.getInt(1))));
  }

  /** Starts a stream of {@code work} on each of {@code pools}. */
  public static TransactionLoad start(Database db, List<PoolName> pools, int concurrency, Duration every, Work work) {
    return new TransactionLoad(db, pools, concurrency, every, work);
  }

  /** Every outcome so far. */
  public List<Outcome> outcomes() {
    return List.copyOf(outcomes);
  }

  /** The end of the first success on {@code pool} that ended after {@code afterNanos}, or -1. */
  public long firstSuccessAfter(PoolName pool, long afterNanos) {
    return outcomes.stream().filter(o -> o.pool() == pool && o.failure() == null && o.endNanos() - afterNanos > 0)
        .mapToLong(Outcome::endNanos).min().orElse(-1);
  }

  /** The failures that ended after {@code afterNanos}. */
  public List<Outcome> failuresAfter(long afterNanos) {
    return outcomes.stream().filter(o -> o.failure() != null && o.endNanos() - afterNanos > 0).toList();
  }

  /** The successes on {@code pool} so far. */
  public long successes(PoolName pool) {
    return outcomes.stream().filter(o -> o.pool() == pool && o.failure() == null).count();
  }

  /** Stops starting transactions and waits (a bounded time) for the running ones to end. */
  @Override
  public void close() {
    scheduler.shutdownNow();
    for (Semaphore s : slots.values()) {
      try {
        s.tryAcquire(concurrency, 30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
