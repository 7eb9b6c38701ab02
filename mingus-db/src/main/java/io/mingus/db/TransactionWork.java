package io.mingus.db;

/**
 * Work that runs inside a transaction and returns a result; it may throw a checked exception,
 * which {@link Database#fromTransaction(TransactionWork)} rethrows unchanged after rolling back.
 *
 * @param <R> the result
 * @param <X> the checked exception the work may throw
 */
@FunctionalInterface
public interface TransactionWork<R, X extends Exception> {
  /** Runs the work with the transaction's session. */
  R execute(Session session) throws X;
}
