package io.mingus.db;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What a process does, and so which pools its {@link Database} opens. Every pool opens its
 * connections when they are used and keeps at most {@code pool_size} of them idle; a role decides
 * which pools exist at all, which ones the health check probes, and what the start-up capacity
 * line counts. A transaction on a pool the role does not have fails at once with a {@link
 * DatabaseException} that names the role.
 *
 * <ul>
 *   <li>{@link #ALL}: every pool; {@code mingus serve} with embedded workers, tools and tests.
 *   <li>{@link #WEB}: {@code mingus serve --no-workers}: main and analytics, no worker pool.
 *   <li>{@link #WORKER}: {@code mingus worker}: the worker pool, and main only when a task uses it
 *       (it is not probed by health checks until then); no analytics pool.
 * </ul>
 */
public enum ProcessRole {
  /** Every pool, and a session connection for the task workers (LISTEN) it may run. */
  ALL(EnumSet.allOf(PoolName.class), EnumSet.allOf(PoolName.class), true),
  /** HTTP only: main and analytics. */
  WEB(EnumSet.of(PoolName.MAIN, PoolName.ANALYTICS), EnumSet.of(PoolName.MAIN, PoolName.ANALYTICS), false),
  /** Task workers only: the worker pool, main on demand, and a session connection (LISTEN). */
  WORKER(EnumSet.of(PoolName.MAIN, PoolName.WORKER), EnumSet.of(PoolName.WORKER), true);

  private final Set<PoolName> pools;
  private final Set<PoolName> probed;
  private final boolean runsWorkers;

  ProcessRole(Set<PoolName> pools, Set<PoolName> probed, boolean runsWorkers) {
    this.pools = Collections.unmodifiableSet(pools);
    this.probed = Collections.unmodifiableSet(probed);
    this.runsWorkers = runsWorkers;
  }

  /** The pools a process of this role has, in the order main, worker, analytics. */
  public Set<PoolName> pools() {
    return pools;
  }

  /** Whether a process of this role has {@code pool}. */
  public boolean has(PoolName pool) {
    return pools.contains(pool);
  }

  /**
   * Whether {@code pool} is used only when the work asks for it (main in a worker): health checks
   * leave it alone until it has opened a connection.
   */
  public boolean onDemandOnly(PoolName pool) {
    return pools.contains(pool) && !probed.contains(pool);
  }

  /**
   * Whether a process of this role may run task workers, which hold one connection of their own
   * outside the pools for LISTEN.
   */
  public boolean runsWorkers() {
    return runsWorkers;
  }

  /** The lower-case name used in log lines: {@code worker}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
