package io.mingus.comms;

import io.mingus.comms.internal.CommunicationStore;
import io.mingus.comms.internal.NewCommunication;
import io.mingus.comms.internal.Validator;
import io.mingus.db.Database;
import io.mingus.db.DatabaseErrors;
import io.mingus.db.Dialect;
import io.mingus.db.ErrorKind;
import io.mingus.db.Session;
import io.mingus.db.RetryPolicy;
import io.mingus.db.TransactionOptions;
import io.mingus.tasks.Task;
import io.mingus.tasks.TaskOptions;
import io.mingus.tasks.TaskQueue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One {@link CommunicationService#sendBatch} call: validate everything, then one transaction that
 * inserts the new rows with a JDBC batch, enqueues their tasks with a batch per channel, and records
 * the task ids with a JDBC batch. A concurrent request that takes one of the batch's idempotency
 * keys first makes the insert fail on the unique index; the whole transaction then runs again and
 * finds that key taken. Not thread-safe; one per call.
 */
final class BatchSend {
  private static final int ATTEMPTS = 3;

  private final Database db;
  private final TaskQueue queue;
  private final CommunicationStore store;
  private final Function<Channel, Task<SendPayload>> tasks;
  private final Function<SendRequest, NewCommunication> newRow;

  BatchSend(Database db, TaskQueue queue, CommunicationStore store, Function<Channel, Task<SendPayload>> tasks,
      Function<SendRequest, NewCommunication> newRow) {
    this.db = db;
    this.queue = queue;
    this.store = store;
    this.tasks = tasks;
    this.newRow = newRow;
  }

  List<Communication> send(List<SendRequest> requests) {
    if (requests == null || requests.isEmpty() || requests.size() > CommunicationService.MAX_BATCH) {
      throw new ValidationException("batch", List.of(new FieldError("requests", "must hold 1 to "
          + CommunicationService.MAX_BATCH + " requests, held " + (requests == null ? 0 : requests.size()))));
    }
    List<FieldError> errors = new ArrayList<>();
    for (int i = 0; i < requests.size(); i++) {
      errors.addAll(Validator.send(requests.get(i), "requests[" + i + "]."));
    }
    CommunicationService.throwIfAny("batch", errors);
    for (int attempt = 1; ; attempt++) {
      try {
        return db.fromTransaction(TransactionOptions.named("comms.send-batch").withRetry(RetryPolicy.defaults()),
            s -> once(s, requests));
      } catch (RuntimeException e) {
        if (attempt >= ATTEMPTS || DatabaseErrors.classify(e).kind() != ErrorKind.INTEGRITY) {
          throw e;
        }
      }
    }
  }

  private List<Communication> once(Session s, List<SendRequest> requests) {
    CommunicationService.throwIfAny("batch", recipientErrors(s, requests));

    List<String> keys = requests.stream().map(SendRequest::idempotencyKey).filter(k -> k != null).distinct().toList();
    Map<String, Communication> byKey = new HashMap<>();
    store.findByKeys(s, keys).forEach(c -> byKey.put(c.idempotencyKey(), c));
    Map<String, Integer> firstInBatch = new HashMap<>();
    List<NewCommunication> rows = new ArrayList<>();
    List<Integer> rowOf = new ArrayList<>();
    int[] index = new int[requests.size()];
    for (int i = 0; i < requests.size(); i++) {
      SendRequest r = requests.get(i);
      String key = r.idempotencyKey();
      String field = "requests[" + i + "].idempotency_key";
      if (key != null && byKey.containsKey(key)) {
        CommunicationService.requireSameRequest(field, newRow.apply(r), byKey.get(key));
        index[i] = -1;
      } else if (key != null && firstInBatch.containsKey(key)) {
        int first = index[firstInBatch.get(key)];
        List<String> differences = newRow.apply(r).differencesFrom(rows.get(first));
        if (!differences.isEmpty()) {
          throw new IdempotencyKeyReusedException(field, differences);
        }
        index[i] = first;
      } else {
        if (key != null) {
          firstInBatch.put(key, i);
        }
        index[i] = rows.size();
        rowOf.add(i);
        rows.add(newRow.apply(r));
      }
    }
    List<Long> ids;
    long[] taskIds;
    if (s.dialect() == Dialect.POSTGRESQL) {
      // ids drawn first, so that the tasks are enqueued before their rows are inserted with the
      // task ids: three statements whatever the batch's size, and no row written twice
      long[] drawn = store.drawIds(s, rows.size());
      ids = Arrays.stream(drawn).boxed().toList();
      taskIds = enqueue(s, rows, ids);
      store.insertAll(s, rows, drawn, taskIds);
    } else {
      ids = store.insertAll(s, rows);
      taskIds = enqueue(s, rows, ids);
      store.setTasks(s, ids, taskIds);
    }
    List<Communication> out = new ArrayList<>(requests.size());
    for (int i = 0; i < requests.size(); i++) {
      int row = index[i];
      out.add(row < 0 ? byKey.get(requests.get(i).idempotencyKey()) : queued(rows.get(row), ids.get(row), taskIds[row]));
    }
    return out;
  }

  /**
   * Whether each request's recipient exists and has an address for its channel, read with one
   * statement for the whole batch; errors named {@code requests[i].field}.
   */
  private static List<FieldError> recipientErrors(Session s, List<SendRequest> requests) {
    Long[] userIds = requests.stream().map(SendRequest::userId).distinct().toArray(Long[]::new);
    Map<Long, Boolean> hasPhone = new HashMap<>();
    s.query("SELECT id, phone FROM users WHERE id = ANY (?)", rs -> hasPhone.put(rs.getLong(1),
        rs.getString(2) != null), (Object) userIds);
    List<FieldError> errors = new ArrayList<>();
    for (int i = 0; i < requests.size(); i++) {
      SendRequest r = requests.get(i);
      Boolean phone = hasPhone.get(r.userId());
      if (phone == null) {
        errors.add(new FieldError("requests[" + i + "].user_id", "user " + r.userId() + " does not exist"));
      } else if (r.channel() == Channel.SMS && !phone) {
        errors.add(new FieldError("requests[" + i + "].channel", "user " + r.userId()
            + " has no phone number for sms"));
      }
    }
    return errors;
  }

  private long[] enqueue(Session s, List<NewCommunication> rows, List<Long> ids) {
    Map<Channel, List<Integer>> byChannel = new EnumMap<>(Channel.class);
    for (int i = 0; i < rows.size(); i++) {
      byChannel.computeIfAbsent(rows.get(i).channel(), c -> new ArrayList<>()).add(i);
    }
    long[] taskIds = new long[rows.size()];
    byChannel.forEach((channel, positions) -> {
      List<SendPayload> payloads = positions.stream().map(p -> new SendPayload(ids.get(p))).toList();
      List<Long> enqueued = queue.enqueueAll(s, tasks.apply(channel), payloads,
          TaskOptions.defaults().withQueue(CommunicationService.QUEUE));
      for (int j = 0; j < positions.size(); j++) {
        taskIds[positions.get(j)] = enqueued.get(j);
      }
    });
    return taskIds;
  }

  static Communication queued(NewCommunication c, long id, long taskId) {
    return new Communication(id, c.userId(), c.channel(), c.messageType(), c.status(), null, null, null,
        c.idempotencyKey(), c.createdAt(), null, c.subject(), c.message(), taskId);
  }
}
