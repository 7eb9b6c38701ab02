package io.mingus.tasks.internal;

import io.mingus.db.Database;
import io.mingus.db.PoolName;
import io.mingus.db.Propagation;
import io.mingus.db.RetryPolicy;
import io.mingus.db.TransactionOptions;
import java.time.InstantSource;

/**
 * A worker as the holder of leases: the database and task store it writes through, its id (the
 * lease owner) and its clock (every timestamp it writes). Its own statements run in short control
 * transactions of their own on the worker pool.
 *
 * @param db the database
 * @param store the task table
 * @param workerId the lease owner of the tasks this worker claims
 * @param clock the clock of claims, heartbeats, outcomes and rescue
 */
public record WorkerDb(Database db, TaskStore store, String workerId, InstantSource clock) {

  /** A transaction {@code tasks.<name>} of its own on the worker pool (claims, heartbeats, rescue). */
  public static TransactionOptions control(String name) {
    return TransactionOptions.named("tasks." + name).withPool(PoolName.WORKER)
        .withPropagation(Propagation.REQUIRES_NEW);
  }

  /** A control transaction that is retried on retryable errors: it records an outcome that must not be lost. */
  public static TransactionOptions outcome(String name) {
    return control(name).withRetry(RetryPolicy.defaults());
  }
}
