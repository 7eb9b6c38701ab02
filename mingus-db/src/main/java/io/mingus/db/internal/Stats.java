package io.mingus.db.internal;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.mingus.db.SessionStats;
import java.util.concurrent.atomic.LongAdder;

/** Transaction counters, exported to Micrometer as they are counted. */
public final class Stats {
  private final LongAdder total = new LongAdder();
  private final LongAdder active = new LongAdder();
  private final LongAdder committed = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder rollbacks = new LongAdder();
  private final LongAdder retries = new LongAdder();
  private final LongAdder slowQueries = new LongAdder();

  /** Counters registered with {@code registry}. */
  public Stats(MeterRegistry registry) {
    counter(registry, "mingus.db.transactions", committed, "outcome", "committed");
    counter(registry, "mingus.db.transactions", failed, "outcome", "failed");
    counter(registry, "mingus.db.rollbacks", rollbacks);
    counter(registry, "mingus.db.retries", retries);
    counter(registry, "mingus.db.slow.queries", slowQueries);
    Gauge.builder("mingus.db.transactions.active", active, LongAdder::sum).register(registry);
  }

  private static void counter(MeterRegistry r, String name, LongAdder adder, String... tags) {
    FunctionCounter.builder(name, adder, LongAdder::sum).tags(tags).register(r);
  }

  void begun() {
    total.increment();
    active.increment();
  }

  void ended(boolean wasCommitted) {
    active.decrement();
    (wasCommitted ? committed : failed).increment();
  }

  void rolledBack() {
    rollbacks.increment();
  }

  void retried() {
    retries.increment();
  }

  /** Counts one slow query. */
  public void slowQuery() {
    slowQueries.increment();
  }

  /** A snapshot of every counter. */
  public SessionStats snapshot() {
    return new SessionStats(total.sum(), active.sum(), committed.sum(), failed.sum(), rollbacks.sum(),
        retries.sum(), slowQueries.sum());
  }
}
