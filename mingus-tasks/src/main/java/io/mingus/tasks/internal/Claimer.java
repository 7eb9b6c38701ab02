package io.mingus.tasks.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.mingus.db.Session;
import io.mingus.tasks.PhasedTask;
import io.mingus.tasks.Task;
import io.mingus.tasks.TaskException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims due tasks of a queue for this worker in one short control transaction, only task names
 * this worker runs and whose rate limit has a token now (the token itself is taken when the task
 * starts); the attempts are held in flight from then on.
 *
 * <p>The claimed attempts of {@link PhasedTask}s are prepared in the same transaction, one {@code
 * prepareAll} per task name: their reservations commit with the claim (the claim's row locks are
 * their fence), so a batch of sends costs one commit for claim and reservations together. Attempts
 * whose {@code prepare} found nothing to do are marked succeeded in it too. When that transaction
 * fails once preparing began (a task's {@code prepare} threw, or the commit failed), it is rolled
 * back and the queue is claimed again without preparing: each attempt is then prepared by its slot
 * in a transaction of its own, where a failing task fails alone and its attempts are counted.
 * Thread-safe.
 */
public final class Claimer implements Lane.Claims {
  private static final Logger LOG = LoggerFactory.getLogger(Claimer.class);

  private final WorkerDb wdb;
  private final List<String> names;
  private final Map<String, Task<?>> tasks;
  private final ObjectMapper json;
  private final RateLimits limits;
  private final InFlight inFlight;

  /** Claims tasks of {@code tasks} through {@code wdb}, reading payloads of phased tasks with {@code json}. */
  public Claimer(WorkerDb wdb, Map<String, Task<?>> tasks, ObjectMapper json, RateLimits limits, InFlight inFlight) {
    this.wdb = wdb;
    this.names = List.copyOf(tasks.keySet());
    this.tasks = Map.copyOf(tasks);
    this.json = json;
    this.limits = limits;
    this.inFlight = inFlight;
  }

  /** Thrown out of a claim transaction whose preparing failed: the claim is rolled back with it. */
  private static final class PrepareFailed extends RuntimeException {
    PrepareFailed(Throwable cause) {
      super(cause);
    }
  }

  /**
   * Claims up to {@code want} tasks of {@code queue}, phased ones prepared.
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
    boolean[] preparing = {false};
    List<Execution> xs;
    try {
      xs = wdb.db().fromTransaction(WorkerDb.control("claim"), s -> {
        List<Execution> claimed = wrap(wdb.store().claim(s, queue, claimable, want, wdb.workerId(), now));
        preparing[0] = true;
        prepare(s, claimed, now);
        return claimed;
      });
    } catch (SQLException e) {
      throw failure(queue, e);
    } catch (RuntimeException e) {
      if (!preparing[0]) {
        throw e;
      }
      Throwable cause = e instanceof PrepareFailed ? e.getCause() : e;
      LOG.warn("worker {}: the claim of queue '{}' with its phased tasks prepared failed ({}); it was rolled back, and"
          + " the queue is claimed again with each task prepared alone", wdb.workerId(), queue, cause.toString(), cause);
      xs = plainClaim(queue, claimable, want, now);
    }
    for (Execution x : xs) {
      inFlight.add(x);
    }
    return xs;
  }

  private List<Execution> plainClaim(String queue, List<String> claimable, int want, Instant now) {
    try {
      return wdb.db().fromTransaction(WorkerDb.control("claim"),
          s -> wrap(wdb.store().claim(s, queue, claimable, want, wdb.workerId(), now)));
    } catch (SQLException e) {
      throw failure(queue, e);
    }
  }

  /** Prepares the phased attempts among {@code claimed}; those found done are marked succeeded here. */
  private void prepare(Session s, List<Execution> claimed, Instant now) {
    Map<PhasedTask<?, ?, ?>, List<Execution>> groups = Phases.byTask(claimed, tasks, json);
    if (groups.isEmpty()) {
      return;
    }
    List<Execution> done = new ArrayList<>();
    try {
      for (Map.Entry<PhasedTask<?, ?, ?>, List<Execution>> g : groups.entrySet()) {
        done.addAll(Phases.prepare(s, g.getKey(), g.getValue()));
      }
    } catch (Exception e) {
      throw new PrepareFailed(e);
    }
    if (!done.isEmpty()) {
      int marked = wdb.store().succeedAll(s, Phases.rows(done), wdb.workerId(), now).size();
      if (marked != done.size()) {
        throw new PrepareFailed(new IllegalStateException("marked " + marked + " of " + done.size()
            + " tasks succeeded that this worker claimed in the same transaction"));
      }
    }
  }

  private static List<Execution> wrap(List<TaskStore.Claimed> claimed) {
    List<Execution> xs = new ArrayList<>(claimed.size());
    for (TaskStore.Claimed c : claimed) {
      xs.add(new Execution(c));
    }
    return xs;
  }

  private TaskException failure(String queue, SQLException e) {
    return new TaskException("worker " + wdb.workerId() + " could not claim tasks of queue '" + queue + "' (SQLState "
        + e.getSQLState() + "): " + e.getMessage(), e);
  }
}
