package io.mingus.db;

/**
 * Transaction counters of a {@link Database} since it started.
 *
 * @param total transactions begun (outermost and REQUIRES_NEW; joined blocks are not counted)
 * @param active transactions open now
 * @param committed transactions committed
 * @param failed transactions that ended with an exception
 * @param rollbacks rollbacks, including those of failed attempts that were retried
 * @param retries attempts run again by a retry policy
 * @param slowQueries statements slower than the slow-query threshold
 */
public record SessionStats(
    long total, long active, long committed, long failed, long rollbacks, long retries, long slowQueries) {}
