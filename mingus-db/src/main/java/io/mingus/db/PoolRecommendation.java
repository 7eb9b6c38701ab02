package io.mingus.db;

/**
 * What the {@link PoolOptimizer} makes of one pool's samples.
 *
 * @param pool which pool
 * @param currentMaxSize the pool's maximum size now
 * @param recommendedMaxSize the maximum size the samples call for, within the optimizer's bounds
 * @param peakUtilization the highest utilization sampled
 * @param averageUtilization the mean utilization sampled
 * @param waitingSamples samples in which a caller was waiting for a connection
 * @param samples how many samples were taken
 * @param applied whether the pool was resized to the recommendation
 * @param reason why, in one sentence
 */
public record PoolRecommendation(
    PoolName pool,
    int currentMaxSize,
    int recommendedMaxSize,
    double peakUtilization,
    double averageUtilization,
    int waitingSamples,
    int samples,
    boolean applied,
    String reason) {}
