package io.mingus.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.mingus.db.PoolManager;
import io.mingus.db.PoolMetrics;
import io.mingus.db.PoolName;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's few minutes of history, kept in memory: every {@link #INTERVAL} a background
 * thread reads the pools' metrics and the meters the task and communication modules publish
 * ({@code mingus.tasks.outcomes}, {@code mingus.tasks.pickup}, {@code mingus.comms.outcomes}) by
 * name from the registry. It never queries the database, so it costs the same with no browser or
 * many.
 *
 * <p>Each sample stores the cumulative counts it read; rates and latency percentiles are the
 * differences between two samples: per minute over the last {@link #RATE_WINDOW} for the charts,
 * over the last minute for the headline numbers. Percentiles come from the pickup timer's
 * histogram buckets (cumulative in a Prometheus registry), interpolated within a bucket, as
 * Prometheus's {@code histogram_quantile} does. Counts are of this process: its embedded workers
 * and its sends. Thread-safe; {@link #close()} stops the sampler.
 */
final class ConsoleHistory implements AutoCloseable {
  static final Duration INTERVAL = Duration.ofSeconds(2);
  static final Duration SPAN = Duration.ofMinutes(5);
  static final Duration RATE_WINDOW = Duration.ofSeconds(30);
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleHistory.class);
  private static final int CAPACITY = (int) (SPAN.toMillis() / INTERVAL.toMillis());

  private final MeterRegistry registry;
  private final PoolManager pools;
  private final InstantSource clock;
  private final ArrayDeque<Raw> raw = new ArrayDeque<>();
  private ScheduledExecutorService sampler;
  private long seq;

  /** What one sample read: cumulative counters, the pickup histogram and the pools now. */
  private record Raw(long seq, Instant at, Map<String, Double> tasks, Map<String, Double> comms, double[] bounds,
      double[] buckets, Map<PoolName, PoolMetrics> pools) {}

  /** One point of the charts; rates are per minute, latencies in milliseconds (null: no pickup). */
  record Point(long seq, long t, Map<String, PoolPoint> pools, double succeeded, double retried, double failed,
      Double pickupP50Ms, Double pickupP99Ms, Map<String, Map<String, Double>> comms) {}

  /** One pool at one point: connections in use, idle and callers waiting. */
  record PoolPoint(int active, int idle, int pending) {}

  /** The last minute: attempts by outcome, pickup percentiles, communications by channel and status. */
  record LastMinute(long succeeded, long retried, long failed, Double pickupP50Ms, Double pickupP99Ms,
      Map<String, Map<String, Long>> comms) {}

  ConsoleHistory(MeterRegistry registry, PoolManager pools, InstantSource clock) {
    this.registry = registry;
    this.pools = pools;
    this.clock = clock;
  }

  /** Samples now and then every {@link #INTERVAL} on a daemon thread of its own. */
  synchronized ConsoleHistory start() {
    if (sampler == null) {
      sampler = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon()
          .name("mingus-console-sampler").unstarted(r));
      sampler.scheduleAtFixedRate(this::sampleQuietly, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }
    return this;
  }

  private void sampleQuietly() {
    try {
      sample();
    } catch (RuntimeException e) {
      // a failing read must not end the schedule (a later sample may succeed)
      LOG.warn("the dashboard's sampler could not read the meters: {}", e.toString());
    }
  }

  /** Takes one sample now (the background thread calls this; tests call it directly). */
  void sample() {
    Map<String, Double> tasks = sumCounters("mingus.tasks.outcomes", "outcome");
    Map<String, Double> comms = sumCounters("mingus.comms.outcomes", "channel", "status");
    double[][] histogram = pickupHistogram();
    Map<PoolName, PoolMetrics> now = pools.metrics();
    synchronized (this) {
      raw.addLast(new Raw(++seq, clock.instant(), tasks, comms, histogram[0], histogram[1], now));
      while (raw.size() > CAPACITY) {
        raw.removeFirst();
      }
    }
  }

  /** The chart points after {@code since} (0: all), oldest first. */
  synchronized List<Point> points(long since) {
    List<Point> out = new ArrayList<>();
    List<Raw> all = new ArrayList<>(raw);
    for (int i = 0; i < all.size(); i++) {
      Raw r = all.get(i);
      if (r.seq() > since) {
        out.add(point(r, before(all, i, RATE_WINDOW)));
      }
    }
    return out;
  }

  /** The sequence number of the newest sample (0: none yet). */
  synchronized long seq() {
    return seq;
  }

  /** The last minute (or as much of it as there is), from the newest sample. */
  synchronized LastMinute lastMinute() {
    List<Raw> all = new ArrayList<>(raw);
    if (all.isEmpty()) {
      return new LastMinute(0, 0, 0, null, null, Map.of());
    }
    Raw now = all.getLast();
    Raw then = before(all, all.size() - 1, Duration.ofMinutes(1));
    Map<String, Map<String, Long>> comms = new TreeMap<>();
    delta(now.comms(), then.comms()).forEach((key, n) -> {
      String[] channelStatus = key.split("\n");
      comms.computeIfAbsent(channelStatus[0], c -> new TreeMap<>()).put(channelStatus[1], Math.round(n));
    });
    Map<String, Double> tasks = delta(now.tasks(), then.tasks());
    double[] buckets = delta(now, then);
    return new LastMinute(Math.round(tasks.getOrDefault("succeeded", 0.0)), Math.round(tasks.getOrDefault("retried", 0.0)),
        Math.round(failures(tasks) - tasks.getOrDefault("retried", 0.0)),
        percentile(now.bounds(), buckets, 0.5), percentile(now.bounds(), buckets, 0.99), comms);
  }

  private static Point point(Raw now, Raw then) {
    double minutes = Math.max(1, Duration.between(then.at(), now.at()).toMillis()) / 60_000.0;
    boolean first = then == now;
    Map<String, Double> tasks = delta(now.tasks(), then.tasks());
    Map<String, Map<String, Double>> comms = new TreeMap<>();
    delta(now.comms(), then.comms()).forEach((key, n) -> {
      String[] channelStatus = key.split("\n");
      comms.computeIfAbsent(channelStatus[0], c -> new TreeMap<>()).put(channelStatus[1], first ? 0 : round(n / minutes));
    });
    Map<String, PoolPoint> pools = new LinkedHashMap<>();
    now.pools().forEach((name, m) -> pools.put(name.label(), new PoolPoint(m.checkedOut(), m.checkedIn(), m.pending())));
    double[] buckets = delta(now, then);
    return new Point(now.seq(), now.at().toEpochMilli(), pools,
        first ? 0 : round(tasks.getOrDefault("succeeded", 0.0) / minutes),
        first ? 0 : round(tasks.getOrDefault("retried", 0.0) / minutes),
        first ? 0 : round((failures(tasks) - tasks.getOrDefault("retried", 0.0)) / minutes),
        percentile(now.bounds(), buckets, 0.5), percentile(now.bounds(), buckets, 0.99), comms);
  }

  /** Attempts that did not succeed: failed for good, retried later, or lost their lease. */
  private static double failures(Map<String, Double> tasks) {
    return tasks.getOrDefault("failed", 0.0) + tasks.getOrDefault("retried", 0.0)
        + tasks.getOrDefault("lease_lost", 0.0);
  }

  /** The newest sample at least {@code window} older than sample {@code i}, else the oldest one. */
  private static Raw before(List<Raw> all, int i, Duration window) {
    Instant limit = all.get(i).at().minus(window);
    for (int j = i; j >= 0; j--) {
      if (!all.get(j).at().isAfter(limit)) {
        return all.get(j);
      }
    }
    return all.getFirst();
  }

  private static Map<String, Double> delta(Map<String, Double> now, Map<String, Double> then) {
    Map<String, Double> out = new TreeMap<>();
    now.forEach((k, v) -> out.put(k, Math.max(0, v - then.getOrDefault(k, 0.0))));
    return out;
  }

  private static double[] delta(Raw now, Raw then) {
    double[] out = new double[now.buckets().length];
    boolean comparable = then.buckets().length == out.length;
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.max(0, now.buckets()[i] - (comparable && then != now ? then.buckets()[i] : 0));
    }
    return then == now ? new double[out.length] : out;
  }

  /**
   * The {@code q} quantile in milliseconds of the observations whose cumulative bucket counts are
   * {@code cumulative} (upper bounds {@code bounds} in nanoseconds), or null when there are none.
   */
  static Double percentile(double[] bounds, double[] cumulative, double q) {
    if (cumulative.length == 0 || cumulative[cumulative.length - 1] <= 0) {
      return null;
    }
    double rank = q * cumulative[cumulative.length - 1];
    double lowerBound = 0;
    double lowerCount = 0;
    for (int i = 0; i < cumulative.length; i++) {
      if (cumulative[i] >= rank) {
        double inBucket = cumulative[i] - lowerCount;
        double fraction = inBucket <= 0 ? 1 : (rank - lowerCount) / inBucket;
        return round((lowerBound + (bounds[i] - lowerBound) * fraction) / 1e6);
      }
      lowerBound = bounds[i];
      lowerCount = cumulative[i];
    }
    return round(bounds[bounds.length - 1] / 1e6);
  }

  /** Counters of one name summed by the values of {@code tags} (joined by a newline). */
  private Map<String, Double> sumCounters(String name, String... tags) {
    Map<String, Double> out = new TreeMap<>();
    for (Counter c : registry.find(name).counters()) {
      StringBuilder key = new StringBuilder();
      for (String tag : tags) {
        key.append(key.isEmpty() ? "" : "\n").append(c.getId().getTag(tag));
      }
      out.merge(key.toString(), c.count(), Double::sum);
    }
    return out;
  }

  /** The pickup timers' buckets summed over every queue: {bounds in ns, cumulative counts}. */
  private double[][] pickupHistogram() {
    Map<Double, Double> sum = new TreeMap<>();
    for (Timer t : registry.find("mingus.tasks.pickup").timers()) {
      for (CountAtBucket b : t.takeSnapshot().histogramCounts()) {
        sum.merge(b.bucket(), b.count(), Double::sum);
      }
    }
    double[] bounds = new double[sum.size()];
    double[] counts = new double[sum.size()];
    Iterator<Map.Entry<Double, Double>> it = sum.entrySet().iterator();
    for (int i = 0; it.hasNext(); i++) {
      Map.Entry<Double, Double> e = it.next();
      bounds[i] = e.getKey();
      counts[i] = e.getValue();
    }
    return new double[][] {bounds, counts};
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  @Override
  public synchronized void close() {
    if (sampler != null) {
      sampler.shutdownNow();
    }
  }
}
