package io.mingus.db;

/**
 * An explicitly managed transaction, from {@link Database#begin()}:
 *
 * <pre>{@code
 * try (var tx = db.begin()) {
 *   tx.session().update("UPDATE users SET email = ? WHERE id = ?", email, id);
 *   tx.commit();
 * } // closing without commit() rolls back
 * }</pre>
 *
 * <p>Unlike the callback form, an explicit transaction is not made current for nested calls:
 * pass {@link #session()} along. Not thread-safe. {@link #close()} is idempotent and always
 * returns the connection to its pool.
 */
public interface Transaction extends AutoCloseable {

  /** The transaction's session. */
  Session session();

  /** Commits; afterwards only {@link #close()} may be called. */
  void commit();

  /** Rolls back; afterwards only {@link #close()} may be called. */
  void rollback();

  /** Rolls back unless committed, then releases the connection. */
  @Override
  void close();
}
