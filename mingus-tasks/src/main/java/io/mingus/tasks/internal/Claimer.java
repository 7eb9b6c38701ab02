package io.mingus.tasks.internal;

import io.mingus.tasks.TaskException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Claims due tasks of a queue for this worker in one short control transaction, only task names
 * this worker runs and whose rate limit has a token now (the token itself is taken when the task
 * starts); the attempts are held in flight from then on. Thread-safe.
 */
public final class Claimer implements Lane.Claims {
  private final WorkerDb wdb;
  private final List<String> names;
  private final RateLimits limits;
  private final InFlight inFlight;

  /** Claims tasks named in {@code names} through {@code wdb}. */
  public Claimer(WorkerDb wdb, Collection<String> names, RateLimits limits, InFlight inFlight) {
    this.wdb = wdb;
    this.names = List.copyOf(names);
    this.limits = limits;
    this.inFlight = inFlight;
  }

  /**
   * Claims up to {@code want} tasks of {@code queue}.
   *
   * @throws TaskException when the claim fails; its cause is the driver's exception
   */
  @Override
  public List<Execution> claim(String queue, int want) {
    List<String> claimable = limits.claimable(names);
    if (claimable.isEmpty()) {
      return List.of();
    }
    Instant now = wdb.clock().instant();
    List<TaskStore.Claimed> claimed;
    try {
      claimed = wdb.db().fromTransaction(WorkerDb.control("claim"),
          s -> wdb.store().claim(s, queue, claimable, want, wdb.workerId(), now));
    } catch (SQLException e) {
      throw new TaskException("worker " + wdb.workerId() + " could not claim tasks of queue '" + queue + "' (SQLState "
          + e.getSQLState() + "): " + e.getMessage(), e);
    }
    List<Execution> xs = new ArrayList<>(claimed.size());
    for (TaskStore.Claimed c : claimed) {
      Execution x = new Execution(c);
      inFlight.add(x);
      xs.add(x);
    }
    return xs;
  }
}
