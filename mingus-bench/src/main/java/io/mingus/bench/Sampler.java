package io.mingus.bench;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Watches a drain from the database, every 200 ms: SMS sent so far, and the worker pool's
 * connections open and busy ({@code pg_stat_activity} of the benchmark's own database); with each
 * sample the worker process's CPU time. Reads the database's commit and rollback counters before
 * and after, and counts its own transactions so that they can be taken out. When PostgreSQL runs on
 * this machine (Linux), also the CPU time of the worker's backends (the server processes serving
 * its connections, read from {@code /proc/<pid>/stat}); PostgreSQL's background processes (WAL
 * writer, checkpointer) are not counted. Not thread-safe.
 */
final class Sampler {
  /** Opens a connection to a JDBC URL. */
  @FunctionalInterface
  interface Connector {
    Connection open(String url) throws SQLException;
  }

  private record Sample(long nanos, long done, long cpuNanos, long backendCpuNanos) {}

  /** Linux's USER_HZ: the unit of utime and stime in /proc/PID/stat. */
  private static final long NANOS_PER_TICK = 10_000_000L;

  private static final long PERIOD_MILLIS = 200;

  private final Connector connector;
  private final String url;
  private final int n;
  private final List<Sample> samples = new ArrayList<>();
  private long own;
  private long startNanos;
  private int peakOpen;
  private int peakBusy;
  private final Map<Integer, Long> backendTicks = new HashMap<>();
  private boolean backendsVisible = true;

  Sampler(Connector connector, String url, int n) {
    this.connector = connector;
    this.url = url;
    this.n = n;
  }

  /** The database's committed and rolled-back transactions so far (this read commits one more). */
  long[] transactions() throws SQLException {
    own++;
    try (Connection c = connector.open(url); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT xact_commit, xact_rollback FROM pg_stat_database"
            + " WHERE datname = current_database()")) {
      rs.next();
      return new long[] {rs.getLong(1), rs.getLong(2)};
    }
  }

  /** As {@link #transactions()}, once the worker has exited (its backends flushed their counters). */
  long[] transactionsAfterExit() throws SQLException {
    long[] t = transactions();
    own--;
    return t;
  }

  /** The transactions this sampler committed between {@link #transactions()} and {@link #transactionsAfterExit()}. */
  long ownTransactions() {
    return own;
  }

  /** Samples until {@code n} SMS are sent; fails when the worker exits first or {@code max} passes. */
  void run(WorkerProcess worker, Duration max) throws Exception {
    startNanos = System.nanoTime();
    long deadline = startNanos + max.toNanos();
    try (Connection c = connector.open(url); Statement st = c.createStatement()) {
      while (true) {
        own++;
        long done;
        try (ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM " + SendsBench.SCHEMA
            + ".communication_metrics WHERE status = 'sent'), count(*) FILTER (WHERE application_name"
            + " = 'mingus-worker'), count(*) FILTER (WHERE application_name = 'mingus-worker' AND state <> 'idle'),"
            + " array_agg(pid) FILTER (WHERE application_name = 'mingus-worker')"
            + " FROM pg_stat_activity WHERE datname = current_database()")) {
          rs.next();
          done = rs.getLong(1);
          peakOpen = Math.max(peakOpen, rs.getInt(2));
          peakBusy = Math.max(peakBusy, rs.getInt(3));
          java.sql.Array pids = rs.getArray(4);
          if (pids != null) {
            for (Integer pid : (Integer[]) pids.getArray()) {
              readBackend(pid);
            }
          }
        }
        long backendTotal = backendTicks.values().stream().mapToLong(Long::longValue).sum() * NANOS_PER_TICK;
        samples.add(new Sample(System.nanoTime(), done, worker.cpu().toNanos(), backendTotal));
        if (done >= n) {
          return;
        }
        if (!worker.alive()) {
          throw new IllegalStateException("the worker exited after " + done + " of " + n + " SMS; see " + worker.log());
        }
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException("the drain did not end within " + max + ": " + done + " of " + n + " SMS");
        }
        Thread.sleep(PERIOD_MILLIS);
      }
    }
  }

  private Sample first(double fraction) {
    for (Sample s : samples) {
      if (s.done() >= fraction * n) {
        return s;
      }
    }
    return samples.getLast();
  }

  /** SMS per second between the samples at 10 % and 90 % done. */
  double steadyRate() {
    Sample a = first(0.1);
    Sample b = first(0.9);
    return (b.done() - a.done()) / ((b.nanos() - a.nanos()) / 1e9);
  }

  /** SMS per second from the worker's start (JVM start and Hibernate included) to the last one sent. */
  double wallRate() {
    return n / ((samples.getLast().nanos() - startNanos) / 1e9);
  }

  /** The worker's CPU time per SMS between the samples at 10 % and 90 % done, in microseconds. */
  double cpuMicrosPerSms() {
    Sample a = first(0.1);
    Sample b = first(0.9);
    return (b.cpuNanos() - a.cpuNanos()) / 1e3 / (b.done() - a.done());
  }

  /**
   * The CPU time of the worker's PostgreSQL backends per SMS between the samples at 10 % and 90 %
   * done, in microseconds; NaN when their processes cannot be read (PostgreSQL on another machine).
   */
  double backendCpuMicrosPerSms() {
    if (!backendsVisible) {
      return Double.NaN;
    }
    Sample a = first(0.1);
    Sample b = first(0.9);
    return (b.backendCpuNanos() - a.backendCpuNanos()) / 1e3 / (b.done() - a.done());
  }

  // a backend's latest utime + stime; a backend that exits keeps its last reading
  private void readBackend(int pid) {
    if (!backendsVisible) {
      return;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      backendTicks.put(pid, Long.parseLong(f[11]) + Long.parseLong(f[12]));
    } catch (IOException | RuntimeException e) {
      if (!backendTicks.containsKey(pid)) {
        backendsVisible = backendTicks.size() > 0;
      }
    }
  }

  int peakOpen() {
    return peakOpen;
  }

  int peakBusy() {
    return peakBusy;
  }
}
