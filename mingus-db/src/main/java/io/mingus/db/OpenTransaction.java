package io.mingus.db;

import java.time.Duration;
import java.util.List;

/**
 * A transaction that holds a connection now; see {@link Database#openTransactions()}.
 *
 * @param name the transaction's name
 * @param pool the pool that lent its connection
 * @param thread the thread that opened it
 * @param heldFor how long it has held the connection
 * @param acquiredAt where the connection was acquired, when leak detection is on (else empty)
 */
public record OpenTransaction(
    String name, PoolName pool, String thread, Duration heldFor, List<StackTraceElement> acquiredAt) {}
