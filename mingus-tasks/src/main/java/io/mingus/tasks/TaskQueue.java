package io.mingus.tasks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.micrometer.core.instrument.Counter;
import io.mingus.db.Database;
import io.mingus.db.Session;
import io.mingus.db.TransactionOptions;
import io.mingus.tasks.internal.LocalWakeups;
import io.mingus.tasks.internal.Notifier;
import io.mingus.tasks.internal.TaskStore;
import java.sql.SQLException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Enqueues tasks into the task table of a {@link Database}: the task exists if and only if the
 * transaction that enqueued it commits, so a task never runs before the data it needs is there,
 * and is never lost between a commit and a publish. Thread-safe; build one per process and share
 * it with the {@link Worker}s of the process.
 *
 * <pre>{@code
 * TaskQueue tasks = TaskQueue.create(db);
 * db.inTransaction(session -> {
 *   long userId = insertUser(session, email);
 *   tasks.enqueue(session, sendWelcome, new Welcome(userId), TaskOptions.defaults().withUniqueKey("welcome:" + userId));
 * });
 * }</pre>
 *
 * <p>After the enqueuing transaction commits, workers of this process are woken without any round
 * trip, and on PostgreSQL the workers listening on this schema's channel are notified: by one
 * sender per process, coalescing the queues of many commits into one statement (a notification inside the enqueuing transaction would make every enqueuing commit
 * wait for a cluster-wide lock).
 */
public final class TaskQueue {
  private final Database db;
  private final InstantSource clock;
  private final ObjectMapper json;
  private final TaskStore store;
  private final TaskAdmin admin;
  private final LocalWakeups wakeups = new LocalWakeups();
  private final Notifier notifier;
  /** What each task name's enqueues reuse: its counter (the registry's lookup builds an id and tags) and options. */
  private final Map<String, PerName> perName = new ConcurrentHashMap<>();

  /**
   * A task name's enqueue counter, and the options of an enqueue in a transaction of its own: one
   * statement, so it runs in auto-commit when it opens its own connection (no COMMIT round trip).
   */
  private record PerName(Counter enqueued, TransactionOptions single, TransactionOptions batch) {}

  private TaskQueue(Database db, InstantSource clock, ObjectMapper json) {
    this.db = Objects.requireNonNull(db, "db");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.json = Objects.requireNonNull(json, "json");
    this.store = TaskStore.create(db.config());
    this.admin = new TaskAdmin(db, store, clock);
    this.notifier = store.notifies() ? new Notifier(db, store) : null;
  }

  /**
   * A queue on {@code db} with the system clock and a Jackson mapper that knows {@code java.time};
   * applies the module's migrations (history table {@code mingus_tasks_history}).
   */
  public static TaskQueue create(Database db) {
    return create(db, InstantSource.system());
  }

  /** A queue whose timestamps ({@code created_at}, {@code run_at}) come from {@code clock}. */
  public static TaskQueue create(Database db, InstantSource clock) {
    return create(db, clock, defaultMapper());
  }

  /** A queue with this clock and this Jackson mapper for payloads. */
  public static TaskQueue create(Database db, InstantSource clock, ObjectMapper json) {
    db.migrate("tasks", "classpath:io/mingus/tasks/migration");
    return new TaskQueue(db, clock, json);
  }

  static ObjectMapper defaultMapper() {
    // buffers recycled through a shared, bounded pool: the default keeps them per thread, and an enqueue on
    // a virtual thread (one per request) would allocate a new set every time
    JsonFactory factory = JsonFactory.builder().recyclerPool(JsonRecyclerPools.sharedBoundedPool()).build();
    return new ObjectMapper(factory).registerModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
  }

  /**
   * Enqueues in the caller's transaction: the task exists if and only if that transaction commits.
   * With a unique key that a task in the table already has, nothing is inserted and that task's id
   * is returned; on PostgreSQL this does not abort the caller's transaction.
   *
   * @return the task id (or the existing task's id)
   * @throws IllegalArgumentException when the payload cannot be written as JSON
   * @throws TaskException when the insert fails; its cause is the driver's exception
   */
  public <P> long enqueue(Session session, Task<P> task, P payload, TaskOptions options) {
    Objects.requireNonNull(session, "session");
    TaskStore.NewTask t = newTask(task, payload, options, clock.instant());
    long id;
    try {
      id = store.insert(session, t);
    } catch (SQLException e) {
      throw failed("enqueue of task '" + task.name() + "' on queue '" + options.queue() + "'", e);
    }
    wakeAfterCommit(session, options.queue());
    perName(task.name()).enqueued().increment();
    return id;
  }

  /**
   * Writes a row of the caller's and enqueues a task for it in one statement (PostgreSQL): the task
   * is inserted if and only if the caller's statement wrote its row, so the two commit together
   * even without a transaction around them. In a transaction with {@link
   * TransactionOptions#withSingleStatement(boolean) withSingleStatement(true)} that is one round
   * trip to the database, where writing the row and enqueueing in one transaction takes three.
   *
   * <pre>{@code
   * OptionalLong task = tasks.enqueueWithRow(session,
   *     "INSERT INTO orders (id, ship_task) SELECT ?, new_task.id FROM new_task ON CONFLICT (id) DO NOTHING RETURNING id",
   *     List.of(orderId), ship, new Ship(orderId), TaskOptions.defaults());
   * }</pre>
   *
   * @param rowSql a data-modifying statement ending in {@code RETURNING}, without a {@code WITH} of
   *     its own (PostgreSQL allows a data-modifying {@code WITH} only at the top); it may read the new
   *     task's id as {@code new_task.id} by selecting {@code FROM new_task}. The task is enqueued when
   *     it returns a row (an {@code ON CONFLICT DO UPDATE ... RETURNING} that updated one counts), and
   *     not when it returns none (a {@code WHERE}, {@code ON CONFLICT DO NOTHING}). A {@code ?} in it is
   *     a parameter, also inside a jsonb operator
   * @param rowParams the parameters of {@code rowSql}, bound in order with {@code setObject} (a
   *     null has no type: cast it in the SQL where the type matters)
   * @return the task's id, or empty when {@code rowSql} wrote nothing
   * @throws UnsupportedOperationException on H2, which has no data-modifying {@code WITH}: there,
   *     write the row and {@link #enqueue(Session, Task, Object, TaskOptions) enqueue} in one transaction
   * @throws TaskException when the statement fails, also when the task's unique key is taken;
   *     nothing is written then
   */
  public <P> OptionalLong enqueueWithRow(Session session, String rowSql, List<?> rowParams, Task<P> task, P payload,
      TaskOptions options) {
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(rowSql, "rowSql");
    Objects.requireNonNull(rowParams, "rowParams");
    TaskStore.NewTask t = newTask(task, payload, options, clock.instant());
    OptionalLong id;
    try {
      id = store.insertWithRow(session, rowSql, rowParams, t);
    } catch (SQLException e) {
      throw failed("enqueue of task '" + task.name() + "' on queue '" + options.queue() + "' with a row", e);
    }
    if (id.isPresent()) {
      wakeAfterCommit(session, options.queue());
      perName(task.name()).enqueued().increment();
    }
    return id;
  }

  /**
   * Enqueues in a transaction of its own on the main pool, or joins the current one (Propagation.REQUIRED).
   * On its own the insert is one statement and commits by itself (auto-commit): one round trip to
   * the database, with a unique key two at most.
   *
   * @throws io.mingus.db.DatabaseException of kind {@code COMMIT_UNKNOWN} when, on its own, the
   *     connection broke while the insert ran: the task may or may not exist (with a unique key,
   *     enqueue again to find out)
   */
  public <P> long enqueue(Task<P> task, P payload, TaskOptions options) {
    return db.fromTransaction(perName(task.name()).single(), session -> enqueue(session, task, payload, options));
  }

  /**
   * Enqueues one task per payload in the caller's transaction, in one JDBC batch.
   *
   * @return the ids, in payload order
   * @throws IllegalArgumentException when {@code options} has a unique key (one key cannot name many tasks)
   */
  public <P> List<Long> enqueueAll(Session session, Task<P> task, List<P> payloads, TaskOptions options) {
    Objects.requireNonNull(session, "session");
    if (options.uniqueKey() != null) {
      throw new IllegalArgumentException("enqueueAll of task '" + task.name() + "' got a unique key,"
          + " which would match every payload: enqueue such tasks one by one");
    }
    if (payloads.isEmpty()) {
      return List.of();
    }
    Instant now = clock.instant();
    List<TaskStore.NewTask> rows = new ArrayList<>(payloads.size());
    for (P p : payloads) {
      rows.add(newTask(task, p, options, now));
    }
    List<Long> ids;
    try {
      ids = store.insertBatch(session, rows);
    } catch (SQLException e) {
      throw failed("batch enqueue of " + payloads.size() + " tasks '" + task.name() + "' on queue '"
          + options.queue() + "'", e);
    }
    wakeAfterCommit(session, options.queue());
    perName(task.name()).enqueued().increment(payloads.size());
    return ids;
  }

  /** Enqueues one task per payload in a transaction of its own, or joins the current one. */
  public <P> List<Long> enqueueAll(Task<P> task, List<P> payloads, TaskOptions options) {
    return db.fromTransaction(perName(task.name()).batch(), session -> enqueueAll(session, task, payloads, options));
  }

  /** Listing, counting, retrying, cancelling and pruning tasks. */
  public TaskAdmin admin() {
    return admin;
  }

  private <P> TaskStore.NewTask newTask(Task<P> task, P payload, TaskOptions options, Instant now) {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(options, "options");
    String body;
    try {
      body = json.writeValueAsString(payload);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the payload of task '" + task.name() + "' (a "
          + (payload == null ? "null" : payload.getClass().getName()) + ") cannot be written as JSON: "
          + e.getOriginalMessage() + ". Use a record or bean of plain values", e);
    }
    return new TaskStore.NewTask(options.queue(), task.name(), body, options.priority(), options.maxAttempts(),
        options.timeout(), options.firstRunAt(now), options.uniqueKey(), now);
  }

  private void wakeAfterCommit(Session session, String queue) {
    if (!wakeups.isEmpty() || notifier != null) {
      session.afterCommit(() -> {
        if (notifier != null) {
          notifier.request(queue);
        }
        wakeups.wake(queue);
      });
    }
  }

  private PerName perName(String name) {
    PerName p = perName.get(name);
    if (p == null) {
      p = perName.computeIfAbsent(name, n -> new PerName(
          Counter.builder("mingus.tasks.enqueued").description("tasks enqueued (committed or not)").tag("name", n)
              .register(db.meterRegistry()),
          TransactionOptions.named("tasks.enqueue:" + n).withSingleStatement(true),
          TransactionOptions.named("tasks.enqueue-all:" + n)));
    }
    return p;
  }

  private static TaskException failed(String what, SQLException e) {
    return new TaskException(what + " failed (SQLState " + e.getSQLState() + "): " + e.getMessage(), e);
  }

  // ---- for workers of this process

  LocalWakeups wakeups() {
    return wakeups;
  }

  TaskStore store() {
    return store;
  }

  ObjectMapper json() {
    return json;
  }

  InstantSource clock() {
    return clock;
  }
}
