package io.mingus.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Runs one operation in a closed loop on a number of platform threads for a time or a number of
 * operations, whichever ends first, and counts what completed. Stateless; each call is one phase.
 */
final class Load {
  private Load() {}

  /** One operation of a load phase. */
  @FunctionalInterface
  interface Op {
    void run() throws Exception;
  }

  /**
   * What one phase did.
   *
   * @param ops operations completed without error
   * @param errors operations that threw
   * @param nanos the wall time of the phase
   * @param firstError the first failure, or {@code null}
   * @param latencies the latency of every operation in nanoseconds when recorded, else empty
   * @param cpuNanos the CPU time the load threads used (user and system), or -1 when the JVM cannot tell
   */
  record Result(long ops, long errors, long nanos, Throwable firstError, long[] latencies, long cpuNanos) {

    /** CPU time of the load threads per completed operation, in microseconds; NaN when unknown. */
    double cpuMicrosPerOp() {
      return cpuNanos < 0 || ops == 0 ? Double.NaN : cpuNanos / 1e3 / ops;
    }

    double perSecond() {
      return nanos == 0 ? 0 : ops * 1e9 / nanos;
    }
  }

  /**
   * Runs {@code op} on {@code threads} threads until {@code duration} has passed or {@code
   * maxOps} operations have started (0: no limit).
   */
  static Result run(int threads, Duration duration, long maxOps, Op op) throws InterruptedException {
    return run(threads, duration, maxOps, false, op);
  }

  /** As {@link #run(int, Duration, long, Op)}, recording each operation's latency when asked. */
  static Result run(int threads, Duration duration, long maxOps, boolean recordLatency, Op op)
      throws InterruptedException {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    boolean cpu = mx.isCurrentThreadCpuTimeSupported();
    LongAdder cpuNanos = new LongAdder();
    LongAdder ops = new LongAdder();
    LongAdder errors = new LongAdder();
    AtomicLong started = new AtomicLong();
    AtomicReference<Throwable> first = new AtomicReference<>();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    List<long[]> lat = new ArrayList<>();
    long limit = maxOps <= 0 ? Long.MAX_VALUE : maxOps;
    long[] deadline = new long[1];
    for (int t = 0; t < threads; t++) {
      long[][] mine = {recordLatency ? new long[1024] : null};
      Thread w = Thread.ofPlatform().name("bench-" + t).unstarted(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        int n = 0;
        long cpu0 = cpu ? mx.getCurrentThreadCpuTime() : 0;
        while (System.nanoTime() - deadline[0] < 0 && started.getAndIncrement() < limit) {
          long t0 = System.nanoTime();
          try {
            op.run();
            ops.increment();
            if (mine[0] != null) {
              if (n == mine[0].length) {
                mine[0] = java.util.Arrays.copyOf(mine[0], n * 2);
              }
              mine[0][n++] = System.nanoTime() - t0;
            }
          } catch (Exception | Error e) {
            errors.increment();
            first.compareAndSet(null, e);
            if (errors.sum() > 100) {
              break;
            }
          }
        }
        if (cpu) {
          cpuNanos.add(mx.getCurrentThreadCpuTime() - cpu0);
        }
        synchronized (lat) {
          if (mine[0] != null) {
            lat.add(java.util.Arrays.copyOf(mine[0], n));
          }
        }
      });
      workers.add(w);
      w.start();
    }
    long start = System.nanoTime();
    deadline[0] = start + (duration.isZero() ? Long.MAX_VALUE / 4 : duration.toNanos());
    go.countDown();
    for (Thread w : workers) {
      w.join();
    }
    long nanos = System.nanoTime() - start;
    long[] all = lat.stream().flatMapToLong(java.util.Arrays::stream).toArray();
    return new Result(ops.sum(), errors.sum(), nanos, first.get(), all, cpu ? cpuNanos.sum() : -1);
  }

  /** The {@code q}-quantile (0..1) of {@code values}, sorted in place; 0 when empty. */
  static long quantile(long[] values, double q) {
    if (values.length == 0) {
      return 0;
    }
    java.util.Arrays.sort(values);
    int i = (int) Math.min(values.length - 1, Math.max(0, Math.ceil(q * values.length) - 1));
    return values[i];
  }

  static double median(List<Double> values) {
    List<Double> s = new ArrayList<>(values);
    s.sort(null);
    int n = s.size();
    if (n == 0) {
      return Double.NaN;
    }
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
