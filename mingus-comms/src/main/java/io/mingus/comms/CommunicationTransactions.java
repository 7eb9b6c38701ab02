package io.mingus.comms;

import io.mingus.comms.internal.CommunicationStore;
import io.mingus.comms.internal.EngagementStore;
import io.mingus.comms.internal.NewCommunication;
import io.mingus.db.Database;
import io.mingus.db.DatabaseErrors;
import io.mingus.db.TransactionAction;
import io.mingus.db.TransactionOptions;
import io.mingus.db.TransactionWork;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named, logged transactions for recording communications, and batches that are all or nothing.
 * Obtain it from {@link
 * CommunicationService#transactions()}. Thread-safe.
 *
 * <pre>{@code
 * var tx = comms.transactions();
 * tx.logging("event_logging", session -> session.update("UPDATE ...", id));
 * tx.batch(List.of(s -> step1(s), s -> step2(s)), "batch_processing");   // both or neither
 * tx.record(events, "batch_communication_processing");                   // one JDBC batch
 * }</pre>
 */
public final class CommunicationTransactions {
  private static final Logger LOG = LoggerFactory.getLogger(CommunicationTransactions.class);

  private final Database db;
  private final CommunicationStore store;
  private final InstantSource clock;

  CommunicationTransactions(Database db, CommunicationStore store, InstantSource clock) {
    this.db = Objects.requireNonNull(db, "db");
    this.store = store;
    this.clock = clock;
  }

  /**
   * A communication event to record as it happened, without sending anything: one {@code
   * communication_metrics} row with this user, message type, channel and status.
   *
   * @param userId the user
   * @param channel the channel
   * @param messageType the kind of message
   * @param status the outcome to record; {@code sent} also counts in the user's engagement
   */
  public record Event(long userId, Channel channel, String messageType, CommunicationStatus status) {
    /** All fields are required. */
    public Event {
      Objects.requireNonNull(channel, "channel");
      Objects.requireNonNull(messageType, "messageType");
      Objects.requireNonNull(status, "status");
    }
  }

  /**
   * Runs {@code work} in a transaction named {@code comms.<name>} (joining the caller's, if any), logs its outcome and duration (never
   * bind values), and returns its result. A failure rolls back and is rethrown unchanged.
   */
  public <R, X extends Exception> R logging(String name, TransactionWork<R, X> work) throws X {
    Objects.requireNonNull(work, "work");
    long start = System.nanoTime();
    try {
      R result = db.fromTransaction(TransactionOptions.named("comms." + name), work);
      LOG.debug("communication transaction '{}' committed in {} ms", name, (System.nanoTime() - start) / 1_000_000);
      return result;
    } catch (Exception | Error e) {
      LOG.warn("communication transaction '{}' rolled back after {} ms: {} ({})", name,
          (System.nanoTime() - start) / 1_000_000, e.getClass().getSimpleName(), DatabaseErrors.classify(e).kind());
      throw e;
    }
  }

  /**
   * Runs every operation in one transaction, in order; all commit or none does.
   *
   * @return the number of operations run
   * @throws CommsException naming the failed operation's index, with its failure as the cause;
   *     nothing of the batch was committed
   */
  public int batch(List<? extends TransactionAction<? extends Exception>> operations, String name) {
    List<? extends TransactionAction<? extends Exception>> ops = List.copyOf(operations);
    int[] at = {0};
    try {
      logging(name, s -> {
        for (TransactionAction<? extends Exception> op : ops) {
          op.execute(s);
          at[0]++;
        }
        return null;
      });
      return ops.size();
    } catch (Exception e) {
      throw new CommsException("batch '" + name + "' failed at operation " + at[0] + " of " + ops.size()
          + "; all of it was rolled back: " + e.getMessage(), e);
    }
  }

  /**
   * Records communication events in one transaction with one JDBC batch insert (and one atomic
   * engagement update per {@code sent} event): all or nothing.
   *
   * @return the ids of the new communication_metrics rows, in order
   */
  public List<Long> record(List<Event> events, String name) {
    List<Event> copy = List.copyOf(events);
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    List<NewCommunication> rows = new ArrayList<>(copy.size());
    for (Event e : copy) {
      rows.add(new NewCommunication(e.userId(), e.channel(), e.messageType(), null, "", null, e.status(), now));
    }
    return logging(name, s -> {
      List<Long> ids = store.insertAll(s, rows);
      for (Event e : copy) {
        if (e.status() == CommunicationStatus.SENT) {
          EngagementStore.record(s, e.userId(), e.channel(), 1, now);
        }
      }
      return ids;
    });
  }
}
