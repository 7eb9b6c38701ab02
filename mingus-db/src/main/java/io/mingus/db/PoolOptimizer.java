package io.mingus.db;

import java.util.List;

/**
 * Samples the pools' utilization and waiting callers and recommends a maximum size for each; when
 * {@link DatabaseConfig#optimizerResize()} is on it also resizes them (within {@code pool_size}
 * and twice the configured maximum). {@link #start()} and {@link #stop()} run it every
 * interval, {@link #optimizeAll()} runs it once now, {@link #reset()} starts the counters
 * afresh. Thread-safe.
 */
public interface PoolOptimizer {

  /** Starts sampling every few seconds; idempotent. */
  void start();

  /** Stops sampling; idempotent. The samples taken so far are kept. */
  void stop();

  /** Whether sampling is running. */
  boolean running();

  /** Takes one sample of every pool now. */
  void sample();

  /** Recommends (and when enabled applies) a maximum size for every pool from the samples. */
  List<PoolRecommendation> optimizeAll();

  /** Forgets the samples and zeroes the pools' counters behind the performance metrics. */
  void reset();
}
