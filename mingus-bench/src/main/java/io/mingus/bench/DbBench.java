package io.mingus.bench;

import io.mingus.db.Database;
import io.mingus.db.PoolName;
import java.io.PrintStream;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Issue 2 item 8: the "log communication" unit of work through {@code Database.inTransaction}
 * and, in the same run, on plain JDBC over the very same Hikari pool, at several thread counts.
 *
 * <p>Two databases are open side by side on the same tables: one with the production profile's
 * defaults (slow-query logging at 1 s, so datasource-proxy wraps the pool Mingus lends from), one
 * with the proxy off ({@code slowQueryThreshold(ZERO)}, {@code echo(false)}). Each has its plain
 * JDBC twin on its own Hikari pool ({@code db.pools().dataSource(MAIN)}, which is never proxied).
 * After a warm-up, the variants run in several rounds, in an order rotated every round, so that
 * noise from other processes on the machine hits every variant alike; each ratio is taken within a
 * round and the median over rounds is reported.
 */
final class DbBench {

  /** What to run. */
  record Settings(Target target, List<Integer> threads, Duration warmup, Duration seconds, long opsPerPhase,
      int rounds, int users, List<String> variants) {

    static final List<String> ALL = List.of("mingus", "jdbc", "mingus-conn", "mingus-noproxy", "jdbc-noproxy");

    static Settings from(Args a) {
      List<String> variants = List.of(a.string("variants", String.join(",", ALL)).split(","));
      for (String v : variants) {
        if (!ALL.contains(v)) {
          throw new IllegalArgumentException("--variants " + v + " is not allowed: use some of " + ALL);
        }
      }
      return new Settings(Target.from(a, "mingus_bench"), a.integers("threads", "1,8"), a.seconds("warmup", 5),
          a.seconds("seconds", 2), a.integer("ops", 0), a.integer("rounds", 10), a.integer("users", 1000), variants);
    }
  }

  /**
   * What a run measured.
   *
   * @param perSecond per thread count, per variant: the tx/s of every round
   * @param cpuMicros per thread count, per variant: the load threads' CPU microseconds per transaction, every round
   * @param ops per variant: the units of work done (warm-up included)
   * @param rows communication_metrics rows at the end
   * @param totals the sum of user_engagement_metrics.total_communications at the end
   */
  record Outcome(Map<Integer, Map<String, List<Double>>> perSecond, Map<Integer, Map<String, List<Double>>> cpuMicros,
      Map<String, Long> ops, long rows, long totals) {}

  private DbBench() {}

  static Outcome run(Settings s, PrintStream out) throws Exception {
    int maxThreads = s.threads().stream().mapToInt(Integer::intValue).max().orElse(1);
    LogCommunication work = new LogCommunication(s.users());
    out.printf(Locale.ROOT, "log-communication benchmark on %s: threads %s, warm-up %.1f s, %d rounds of %.1f s%s per"
            + " variant, %d users, variants %s%n", s.target(), s.threads(), s.warmup().toMillis() / 1000.0, s.rounds(),
        s.seconds().toMillis() / 1000.0, s.opsPerPhase() > 0 ? " or " + s.opsPerPhase() + " ops" : "", s.users(),
        s.variants());
    try (Database prod = Database.create(s.target().productionConfig(maxThreads).build());
        Database noProxy = Database.create(s.target().noProxyConfig(maxThreads).build())) {
      DataSource prodPool = prod.pools().dataSource(PoolName.MAIN);
      DataSource noProxyPool = noProxy.pools().dataSource(PoolName.MAIN);
      try (Connection c = prodPool.getConnection()) {
        work.createTables(c);
      }
      Map<String, Load.Op> ops = new LinkedHashMap<>();
      for (String v : s.variants()) {
        ops.put(v, switch (v) {
          case "mingus" -> () -> work.mingus(prod);
          case "mingus-conn" -> () -> work.mingusConnection(prod);
          case "jdbc" -> () -> work.plain(prodPool);
          case "mingus-noproxy" -> () -> work.mingus(noProxy);
          case "jdbc-noproxy" -> () -> work.plain(noProxyPool);
          default -> throw new IllegalStateException(v);
        });
      }
      Map<String, Long> done = new LinkedHashMap<>();
      Map<Integer, Map<String, List<Double>>> results = new LinkedHashMap<>();
      Map<Integer, Map<String, List<Double>>> cpu = new LinkedHashMap<>();
      // warm-up: every variant at the largest thread count (the JIT sees the most calls there), then
      // a short one at each thread count
      for (var e : ops.entrySet()) {
        Load.Result r = Load.run(maxThreads, s.warmup(), s.opsPerPhase(), e.getValue());
        check(e.getKey(), r);
        done.merge(e.getKey(), r.ops(), Long::sum);
      }
      for (int threads : s.threads()) {
        for (var e : ops.entrySet()) {
          Load.Result r = Load.run(threads, s.seconds(), s.opsPerPhase(), e.getValue());
          check(e.getKey(), r);
          done.merge(e.getKey(), r.ops(), Long::sum);
        }
        Map<String, List<Double>> perVariant = new LinkedHashMap<>();
        Map<String, List<Double>> cpuPerVariant = new LinkedHashMap<>();
        List<String> order = new ArrayList<>(ops.keySet());
        for (int round = 0; round < s.rounds(); round++) {
          StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  threads %d round %d:", threads, round + 1));
          for (String v : order) {
            Load.Result r = Load.run(threads, s.seconds(), s.opsPerPhase(), ops.get(v));
            check(v, r);
            done.merge(v, r.ops(), Long::sum);
            perVariant.computeIfAbsent(v, k -> new ArrayList<>()).add(r.perSecond());
            cpuPerVariant.computeIfAbsent(v, k -> new ArrayList<>()).add(r.cpuMicrosPerOp());
            line.append(String.format(Locale.ROOT, " %s %.0f", v, r.perSecond()));
          }
          out.println(line.append(" tx/s"));
          order.addLast(order.removeFirst());
        }
        results.put(threads, perVariant);
        cpu.put(threads, cpuPerVariant);
      }
      long[] counts;
      try (Connection c = prodPool.getConnection()) {
        counts = work.counts(c);
      }
      Outcome outcome = new Outcome(results, cpu, done, counts[0], counts[1]);
      report(outcome, out);
      long expected = done.values().stream().mapToLong(Long::longValue).sum();
      if (counts[0] != expected || counts[1] != expected) {
        throw new IllegalStateException("the database does not hold what the benchmark did: " + expected
            + " units of work ran, communication_metrics has " + counts[0] + " rows and the engagement totals sum to "
            + counts[1]);
      }
      out.printf(Locale.ROOT, "check: %d units of work, %d communication_metrics rows, engagement totals %d: consistent%n",
          expected, counts[0], counts[1]);
      return outcome;
    }
  }

  private static void check(String variant, Load.Result r) {
    if (r.errors() > 0) {
      throw new IllegalStateException("variant " + variant + " failed " + r.errors() + " times; first failure: "
          + r.firstError(), r.firstError());
    }
  }

  static void report(Outcome o, PrintStream out) {
    for (var byThreads : o.perSecond().entrySet()) {
      int threads = byThreads.getKey();
      Map<String, List<Double>> v = byThreads.getValue();
      Map<String, List<Double>> cpu = o.cpuMicros().get(threads);
      out.printf(Locale.ROOT, "threads %d:%n", threads);
      for (var e : v.entrySet()) {
        List<Double> xs = e.getValue();
        double med = Load.median(xs);
        out.printf(Locale.ROOT, "  %-15s median %8.0f tx/s (min %.0f, max %.0f, mean %.0f)  client CPU %.1f us/tx%n",
            e.getKey(), med, xs.stream().mapToDouble(Double::doubleValue).min().orElse(0),
            xs.stream().mapToDouble(Double::doubleValue).max().orElse(0),
            xs.stream().mapToDouble(Double::doubleValue).average().orElse(0), Load.median(cpu.get(e.getKey())));
      }
      ratio(out, v, "mingus", "jdbc", "Mingus (production defaults, proxy on) / plain JDBC, same pool");
      ratio(out, v, "mingus-conn", "jdbc", "Mingus scope with plain JDBC code inside / plain JDBC, same pool");
      ratio(out, v, "mingus-noproxy", "jdbc-noproxy", "Mingus (proxy off) / plain JDBC, same pool");
      ratio(out, v, "mingus", "mingus-noproxy", "Mingus proxy on / proxy off");
      cpuDelta(out, cpu, "mingus", "jdbc", "Mingus (production defaults) - plain JDBC");
      cpuDelta(out, cpu, "mingus-conn", "jdbc", "Mingus scope with plain JDBC code inside - plain JDBC");
      cpuDelta(out, cpu, "mingus-noproxy", "jdbc-noproxy", "Mingus (proxy off) - plain JDBC");
      cpuDelta(out, cpu, "mingus", "mingus-noproxy", "the query-logging proxy (Mingus proxy on - proxy off)");
    }
  }

  private static void cpuDelta(PrintStream out, Map<String, List<Double>> cpu, String a, String b, String label) {
    if (!cpu.containsKey(a) || !cpu.containsKey(b)) {
      return;
    }
    out.printf(Locale.ROOT, "  client CPU per transaction, %-55s %+.1f us (medians)%n", label,
        Load.median(cpu.get(a)) - Load.median(cpu.get(b)));
  }

  private static void ratio(PrintStream out, Map<String, List<Double>> v, String a, String b, String label) {
    if (!v.containsKey(a) || !v.containsKey(b)) {
      return;
    }
    List<Double> ratios = new ArrayList<>();
    for (int i = 0; i < Math.min(v.get(a).size(), v.get(b).size()); i++) {
      ratios.add(v.get(a).get(i) / v.get(b).get(i));
    }
    double pooled = v.get(a).stream().mapToDouble(Double::doubleValue).sum()
        / v.get(b).stream().mapToDouble(Double::doubleValue).sum();
    out.printf(Locale.ROOT, "  ratio %-66s median %.3f, pooled %.3f (rounds: %s)%n", label, Load.median(ratios), pooled,
        ratios.stream().map(r -> String.format(Locale.ROOT, "%.2f", r)).toList());
  }
}
