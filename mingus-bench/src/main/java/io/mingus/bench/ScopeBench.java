package io.mingus.bench;

import io.mingus.db.Database;
import io.mingus.db.DatabaseConfig;
import io.mingus.db.PoolName;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Issue 2 item 8, second part: what an empty transaction scope costs, in nanoseconds, against a
 * {@link StubDriver} behind Hikari: {@code db.inTransaction(s -> {})} against the plain loop
 * (getConnection, auto-commit off, commit, close) on the very same Hikari pool. With {@code
 * config=production} Mingus lends from the query-logging proxy (slow-query threshold 1 s, as the
 * production defaults); with {@code no-proxy} it lends from Hikari directly.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ScopeBench {

  @Param({"production", "no-proxy"})
  public String config;

  StubDriver.Installed stub;
  Database db;
  DataSource pool;

  @Setup(Level.Trial)
  public void setUp() throws SQLException {
    stub = new StubDriver.Installed();
    db = Database.create(config(config));
    pool = db.pools().dataSource(PoolName.MAIN);
  }

  /** The production profile's settings on the stub, pools of 4 (1 for worker and analytics). */
  static DatabaseConfig config(String name) {
    DatabaseConfig.Builder b = Target.production(StubDriver.URL, null, null).toBuilder()
        .poolSize(PoolName.MAIN, 4, 0)
        .poolSize(PoolName.WORKER, 1, 0)
        .poolSize(PoolName.ANALYTICS, 1, 0);
    return switch (name) {
      case "production" -> b.build();
      case "no-proxy" -> b.echo(false).slowQueryThreshold(Duration.ZERO).build();
      default -> throw new IllegalArgumentException("config " + name + " is not allowed: use production or no-proxy");
    };
  }

  @TearDown(Level.Trial)
  public void tearDown() throws SQLException {
    db.close();
    stub.close();
  }

  /** An empty Mingus transaction: take, prepare, commit and return a connection, with the bookkeeping. */
  @Benchmark
  public void mingusEmptyScope() {
    db.inTransaction(s -> { });
  }

  /** The floor: the same connection life on plain JDBC over the same Hikari pool. */
  @Benchmark
  public void plainJdbcScope() throws SQLException {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      c.commit();
    }
  }

  /**
   * The same two scopes outside JMH, measured in CPU time of the calling thread (which a
   * saturated machine does not inflate the way it inflates wall time): {@code rounds} rounds of
   * {@code ops} scopes per variant, alternated, after one warm-up round; prints the median ns/op.
   */
  static void cpuTime(String config, int ops, int rounds, java.io.PrintStream out) throws Exception {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    ScopeBench b = new ScopeBench();
    b.config = config;
    b.setUp();
    try {
      java.util.List<Double> mingus = new java.util.ArrayList<>();
      java.util.List<Double> plain = new java.util.ArrayList<>();
      for (int round = 0; round <= rounds; round++) {
        long t0 = mx.getCurrentThreadCpuTime();
        for (int i = 0; i < ops; i++) {
          b.mingusEmptyScope();
        }
        long t1 = mx.getCurrentThreadCpuTime();
        for (int i = 0; i < ops; i++) {
          b.plainJdbcScope();
        }
        long t2 = mx.getCurrentThreadCpuTime();
        if (round > 0) {
          mingus.add((t1 - t0) / (double) ops);
          plain.add((t2 - t1) / (double) ops);
        }
      }
      double m = Load.median(mingus);
      double p = Load.median(plain);
      out.printf(java.util.Locale.ROOT, "empty scope, config %s, CPU time of the calling thread (median of %d rounds of %d):"
          + " Mingus %.0f ns, plain JDBC %.0f ns, Mingus adds %.0f ns per scope%n", config, rounds, ops, m, p, m - p);
    } finally {
      b.tearDown();
    }
  }
}
