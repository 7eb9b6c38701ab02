package io.mingus.tasks.internal;

import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives claimed attempts back untouched: queued again to run at a given time, their attempts not
 * counted (shutdown, tasks that waited too long for a slot, rate limits); then this worker forgets
 * them.
 */
@FunctionalInterface
public interface GiveBack {

  /** Gives {@code xs} back, to run at {@code runAt}; {@code why} names the transaction. */
  void giveBack(List<Execution> xs, String why, Instant runAt);

  /**
   * Gives back through the task table, in one transaction. A failure is logged: the tasks are
   * rescued once their leases run out.
   */
  static GiveBack through(WorkerDb wdb, InFlight inFlight) {
    Logger log = LoggerFactory.getLogger(GiveBack.class);
    return (xs, why, runAt) -> {
      try {
        wdb.db().inTransaction(WorkerDb.outcome(why), s -> {
          for (Execution x : xs) {
            wdb.store().giveBack(s, x.claimed(), wdb.workerId(), runAt);
          }
        });
      } catch (RuntimeException e) {
        log.error("worker {} could not give back {} claimed tasks ({}); they will be rescued after their leases run"
            + " out", wdb.workerId(), xs.size(), why, e);
      } finally {
        for (Execution x : xs) {
          inFlight.finished(x);
        }
      }
    };
  }
}
