package io.mingus.db.internal;

import io.mingus.db.PoolMetrics;
import io.mingus.db.PoolName;
import io.mingus.db.PoolOptimizer;
import io.mingus.db.PoolRecommendation;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the last {@value #WINDOW} samples of each pool (utilization and waiting callers) and turns
 * them into a recommended maximum size: grow by half when the pool ran near full or callers waited
 * in more than a tenth of the samples, shrink by a quarter when it stayed under a quarter used,
 * always within [{@code pool_size}, twice the configured maximum].
 */
public final class Optimizer implements PoolOptimizer {
  private static final Logger LOG = LoggerFactory.getLogger(Optimizer.class);
  static final int WINDOW = 120;

  private record Sample(double utilization, int pending) {}

  private final Pools pools;
  private final boolean resize;
  private final ScheduledExecutorService scheduler;
  private final Duration interval;
  private final Map<PoolName, Deque<Sample>> samples = new EnumMap<>(PoolName.class);
  private final ReentrantLock lock = new ReentrantLock();
  private ScheduledFuture<?> task;

  public Optimizer(Pools pools, boolean resize, ScheduledExecutorService scheduler, Duration interval) {
    this.pools = pools;
    this.resize = resize;
    this.scheduler = scheduler;
    this.interval = interval;
    for (PoolName name : pools.names()) {
      samples.put(name, new ArrayDeque<>());
    }
  }

  @Override
  public void start() {
    lock.lock();
    try {
      if (task == null) {
        long ms = interval.toMillis();
        task = scheduler.scheduleAtFixedRate(this::sampleQuietly, ms, ms, TimeUnit.MILLISECONDS);
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void stop() {
    lock.lock();
    try {
      if (task != null) {
        task.cancel(false);
        task = null;
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean running() {
    lock.lock();
    try {
      return task != null;
    } finally {
      lock.unlock();
    }
  }

  private void sampleQuietly() {
    try {
      sample();
    } catch (RuntimeException e) {
      LOG.warn("pool optimizer could not sample the pools", e);
    }
  }

  @Override
  public void sample() {
    lock.lock();
    try {
      for (PoolName name : pools.names()) {
        PoolMetrics m = pools.metrics(name);
        Deque<Sample> window = samples.get(name);
        window.addLast(new Sample(m.utilization(), m.pending()));
        if (window.size() > WINDOW) {
          window.removeFirst();
        }
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public List<PoolRecommendation> optimizeAll() {
    lock.lock();
    try {
      List<PoolRecommendation> result = new ArrayList<>();
      for (PoolName name : pools.names()) {
        result.add(recommend(name));
      }
      return result;
    } finally {
      lock.unlock();
    }
  }

  private PoolRecommendation recommend(PoolName name) {
    Deque<Sample> window = samples.get(name);
    int current = pools.metrics(name).maxSize();
    int lower = pools.config(name).poolSize();
    int upper = pools.config(name).maxSize() * 2;
    if (window.isEmpty()) {
      return new PoolRecommendation(name, current, current, 0, 0, 0, 0, false, "no samples yet");
    }
    double peak = 0;
    double sum = 0;
    int waiting = 0;
    for (Sample s : window) {
      peak = Math.max(peak, s.utilization());
      sum += s.utilization();
      waiting += s.pending() > 0 ? 1 : 0;
    }
    double average = sum / window.size();
    int target = current;
    String reason;
    if (peak >= 0.9 || waiting * 10 > window.size()) {
      target = Math.min(upper, (int) Math.ceil(current * 1.5));
      reason = "ran near full (peak " + percent(peak) + ") or had callers waiting in " + waiting + " of "
          + window.size() + " samples";
    } else if (average < 0.25 && peak < 0.5) {
      target = Math.max(lower, (int) Math.floor(current * 0.75));
      reason = "stayed under a quarter used (average " + percent(average) + ")";
    } else {
      reason = "utilization is in range (average " + percent(average) + ", peak " + percent(peak) + ")";
    }
    boolean applied = false;
    if (resize && target != current) {
      pools.resize(name, target);
      applied = true;
      LOG.info("pool optimizer resized pool {} from {} to {}: {}", name.label(), current, target, reason);
    }
    return new PoolRecommendation(name, current, target, peak, average, waiting, window.size(), applied, reason);
  }

  private static String percent(double ratio) {
    return Math.round(ratio * 100) + "%";
  }

  @Override
  public void reset() {
    lock.lock();
    try {
      samples.values().forEach(Deque::clear);
      pools.resetMeters();
    } finally {
      lock.unlock();
    }
  }
}
