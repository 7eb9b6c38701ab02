package io.mingus.tasks.internal;

import io.mingus.db.Database;
import io.mingus.db.TransactionOptions;
import java.time.Duration;
import java.util.List;

/**
 * Samples the depth gauges: queued and running tasks per queue (cheap on PostgreSQL, where partial
 * indexes hold just those rows). Thread-safe.
 */
public final class DepthSampler {
  /** How often a running worker samples. */
  public static final Duration PERIOD = Duration.ofSeconds(15);

  private final Database db;
  private final TaskStore store;
  private final TaskMeters meters;
  private final List<String> served;

  /** Samples through {@code store}; the queues in {@code served} show 0 when empty. */
  public DepthSampler(Database db, TaskStore store, TaskMeters meters, List<String> served) {
    this.db = db;
    this.store = store;
    this.meters = meters;
    this.served = List.copyOf(served);
  }

  /** Samples now. */
  public void sample() {
    meters.depth(db.fromTransaction(TransactionOptions.named("tasks.depth").withReadOnly(true),
        s -> store.counts(s, true)), served);
  }
}
