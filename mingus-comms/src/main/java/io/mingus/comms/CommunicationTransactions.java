package io.mingus.comms;

import io.mingus.db.Database;
import io.mingus.db.TransactionAction;
import io.mingus.db.TransactionWork;
import java.util.List;
import java.util.Objects;

/**
 * The guide's {@code CommunicationTransactionManager}: named transactions for logging
 * communications, and batches that are all or nothing. Thread-safe.
 */
public final class CommunicationTransactions {
  private final Database db;

  CommunicationTransactions(Database db) {
    this.db = Objects.requireNonNull(db, "db");
  }

  /** Transactions on {@code db}. */
  public static CommunicationTransactions create(Database db) {
    return new CommunicationTransactions(db);
  }

  /**
   * The guide's {@code communication_logging_transaction(name)}: runs {@code work} in a transaction
   * named {@code comms.<name>} (joining the caller's, if any), logs its outcome and duration, and
   * returns its result.
   */
  public <R, X extends Exception> R logging(String name, TransactionWork<R, X> work) throws X {
    throw new UnsupportedOperationException("not yet " + db);
  }

  /**
   * The guide's {@code batch_communication_transaction(operations, name)}: runs every operation in
   * one transaction, in order; all commit or none does.
   *
   * @return the number of operations run
   */
  public int batch(List<? extends TransactionAction<? extends Exception>> operations, String name) {
    throw new UnsupportedOperationException("not yet");
  }
}
