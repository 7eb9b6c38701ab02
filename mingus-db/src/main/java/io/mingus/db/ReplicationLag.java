package io.mingus.db;

import java.time.Duration;

/**
 * How far the analytics pool's read replica is behind its primary, as its health check measured
 * it.
 *
 * @param bytes WAL the primary has written that the replica has not replayed yet ({@code
 *     pg_current_wal_lsn()} on the primary less {@code pg_last_wal_replay_lsn()} on the replica), or
 *     -1 when the primary could not be asked
 * @param lag how long ago the last transaction the replica replayed committed on the primary, or
 *     zero when it has replayed everything it received
 */
public record ReplicationLag(long bytes, Duration lag) {}
