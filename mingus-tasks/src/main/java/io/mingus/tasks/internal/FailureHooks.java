package io.mingus.tasks.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.mingus.db.Database;
import io.mingus.db.Propagation;
import io.mingus.db.TransactionOptions;
import io.mingus.tasks.FailureKind;
import io.mingus.tasks.Task;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a task that it failed for good ({@link Task#onFailure}), under a savepoint of the current
 * transaction (the one recording the failure), so that the hook's failure only loses its own
 * writes. Thread-safe.
 */
public final class FailureHooks {
  private static final Logger LOG = LoggerFactory.getLogger(FailureHooks.class);

  private final Database db;
  private final ObjectMapper json;

  /** Hooks run on {@code db}, payloads read with {@code json}. */
  public FailureHooks(Database db, ObjectMapper json) {
    this.db = db;
    this.json = json;
  }

  /** Runs {@code task}'s hook for task {@code id}; a failure of the hook (exception or error) is logged. */
  <P> void tell(Task<P> task, long id, String payloadJson, FailureKind kind, String message) {
    try {
      P payload = json.readValue(payloadJson, task.payloadType());
      db.inTransaction(TransactionOptions.named("task-on-failure:" + task.name()).withPropagation(Propagation.NESTED),
          s -> task.onFailure(s, payload, kind, message));
    } catch (Exception | Error e) {
      LOG.error("task {} '{}': its onFailure hook failed; the task is recorded failed all the same", id, task.name(),
          e);
    }
  }
}
