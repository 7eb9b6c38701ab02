package io.mingus.db;

import java.sql.Connection;

/** Transaction isolation levels; {@link #DEFAULT} keeps the database's own default. */
public enum Isolation {
  /** The database's default (READ COMMITTED on PostgreSQL and H2). */
  DEFAULT(-1),
  /** READ COMMITTED. */
  READ_COMMITTED(Connection.TRANSACTION_READ_COMMITTED),
  /** REPEATABLE READ (snapshot isolation on PostgreSQL). */
  REPEATABLE_READ(Connection.TRANSACTION_REPEATABLE_READ),
  /** SERIALIZABLE: may fail with a serialization error, which is retryable. */
  SERIALIZABLE(Connection.TRANSACTION_SERIALIZABLE);

  private final int jdbcLevel;

  Isolation(int jdbcLevel) {
    this.jdbcLevel = jdbcLevel;
  }

  /** The {@link Connection} constant, or -1 for {@link #DEFAULT}. */
  public int jdbcLevel() {
    return jdbcLevel;
  }
}
