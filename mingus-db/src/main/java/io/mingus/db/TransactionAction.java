package io.mingus.db;

/**
 * Work that runs inside a transaction and returns nothing; see {@link
 * Database#inTransaction(TransactionAction)}.
 *
 * @param <X> the checked exception the work may throw
 */
@FunctionalInterface
public interface TransactionAction<X extends Exception> {
  /** Runs the work with the transaction's session. */
  void execute(Session session) throws X;
}
