package io.mingus.db;

import java.time.Instant;
import java.util.Map;

/**
 * The health of every pool ({@code PoolHealthChecker.check_all_pools}) and the overall status:
 * healthy only when every pool is.
 *
 * @param status the worst status of any pool
 * @param pools the health of each pool checked, in the order main, worker, analytics: the pools of
 *     the process's role, and one it uses on demand only once it has opened a connection
 * @param stats the session statistics at the time of the check
 * @param checkedAt when the check ran
 */
public record HealthReport(
    HealthStatus status, Map<PoolName, PoolHealth> pools, SessionStats stats, Instant checkedAt) {

  /** Whether every pool is healthy. */
  public boolean healthy() {
    return status == HealthStatus.HEALTHY;
  }
}
