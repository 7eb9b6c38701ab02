package io.mingus.db;

import java.sql.Connection;
import java.util.stream.Stream;

/**
 * One transaction's view of the database, handed to the work of {@link
 * Database#inTransaction(TransactionAction)} and friends. Valid only while that work runs (or,
 * for {@link Database#begin()}, until the transaction is closed); not thread-safe: use it from
 * the thread that runs the work.
 *
 * <p>{@link #connection()} and {@link #orm()} see the same transaction: they share one JDBC
 * connection. Never commit, roll back or close that connection yourself; the transaction does.
 */
public interface Session {

  /** The transaction's JDBC connection. */
  Connection connection();

  /**
   * A Hibernate session on the transaction's own connection, opened on first use and flushed
   * before the transaction commits or a savepoint is released.
   *
   * @throws IllegalStateException when the {@link Database} was built without entity classes
   */
  org.hibernate.Session orm();

  /** The transaction's name, as it appears in logs, leak reports and slow-query lines. */
  String name();

  /** The pool that lent the connection. */
  PoolName pool();

  /** Whether the connection is read-only. */
  boolean readOnly();

  /** The engine behind the connection. */
  Dialect dialect();

  /**
   * Runs {@code action} after the outermost transaction commits, once its connection is back in
   * the pool: the place for external side effects such as sending a message. Not run when the
   * transaction rolls back. A failure of the action is logged, not thrown.
   */
  void afterCommit(Runnable action);

  /** Runs {@code action} after the outermost transaction rolls back, once its connection is back. */
  void afterRollback(Runnable action);

  /**
   * Executes an INSERT, UPDATE or DELETE with positional parameters and returns the row count.
   *
   * @throws DatabaseException carrying the driver's exception
   */
  int update(String sql, Object... params);

  /**
   * Runs a query with positional parameters and maps every row; for small results (use {@link
   * #stream} for large ones).
   *
   * @throws DatabaseException carrying the driver's exception
   */
  <T> java.util.List<T> query(String sql, RowMapper<T> mapper, Object... params);

  /**
   * The first row of a query, mapped, or empty when there is none.
   *
   * @throws DatabaseException carrying the driver's exception
   */
  default <T> java.util.Optional<T> queryOne(String sql, RowMapper<T> mapper, Object... params) {
    try (Stream<T> rows = stream(sql, 1, mapper, params)) {
      return rows.findFirst();
    }
  }

  /**
   * Streams the rows of a query in constant memory: the driver
   * fetches {@code fetchSize} rows at a time. Close the stream (try-with-resources) when done;
   * it must be consumed inside the transaction.
   */
  <T> Stream<T> stream(String sql, int fetchSize, RowMapper<T> mapper, Object... params);
}
