package io.mingus.tasks.internal;

import io.mingus.db.Session;
import io.mingus.db.TransactionOptions;
import io.mingus.tasks.TaskRecord;
import io.mingus.tasks.TaskState;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The one owner of every statement on the task table, and the one seam between database engines:
 * {@link PostgresTaskStore} and {@link H2TaskStore}, chosen once by {@link #create}. Nothing else
 * in the module writes SQL on the table or asks which engine it runs on. Every method works in the
 * caller's {@link Session} and commits nothing itself. Implementations are stateless and
 * thread-safe.
 *
 * <p>Outcome statements (succeed, retry, fail, give back) are fenced by {@code id, attempt,
 * lease_owner, state = 'running'}: they return 0 when the lease passed to another worker.
 */
public interface TaskStore {
  /** The task table. */
  String TABLE = "mingus_tasks";

  /**
   * The store for the database of {@code config}; its schema (or none) names the notification
   * channel.
   */
  static TaskStore create(io.mingus.db.DatabaseConfig config) {
    return switch (config.dialect()) {
      // behind PgBouncer with a schema, every transaction begins with its SET LOCAL search_path
      case POSTGRESQL -> new PostgresTaskStore(config.schema(), config.pgbouncer() && config.schema() != null);
      case H2 -> new H2TaskStore();
    };
  }

  /** One task to insert. */
  record NewTask(String queue, String name, String payloadJson, int priority, int maxAttempts, Duration timeout,
      Instant runAt, String uniqueKey, Instant createdAt) {}

  /** A task this worker has just claimed: {@code attempt} is the new attempt's number. */
  record Claimed(long id, String queue, String name, String payload, int attempt, int maxAttempts,
      Duration timeout, Instant runAt, Instant createdAt) {}

  /** A running task whose worker stopped heartbeating, or whose worker's session ended. */
  record Stale(long id, int attempt, int maxAttempts, String queue, String name, String payload) {}

  /** A worker whose liveness follows a database session: the advisory lock it holds on it. */
  record SessionKey(String workerId, long lockKey) {}

  // ---- what differs between engines, beyond SQL

  /**
   * Whether workers can be woken across processes by a notification (PostgreSQL LISTEN/NOTIFY);
   * without it, workers of other processes find new tasks at their next poll.
   */
  boolean notifies();

  /** The LISTEN/NOTIFY channel: it names the schema, so databases sharing a server do not wake each other. */
  String channel();

  /**
   * Whether the task's transaction may have written something, asked of the driver without a round
   * trip (pgjdbc's transaction state, H2's session); true when the driver cannot tell.
   */
  boolean hasWrites(Session session);

  /** The options of a task's own transaction with its per-attempt {@code timeout} applied as this engine can. */
  TransactionOptions withTaskTimeout(TransactionOptions options, Duration timeout);

  // ---- enqueue

  /**
   * Inserts one task; with a unique key already taken, returns the existing task's id and leaves the
   * caller's transaction usable.
   */
  long insert(Session s, NewTask task) throws SQLException;

  /** Inserts tasks without unique keys in one JDBC batch; ids in the order of {@code tasks}. */
  List<Long> insertBatch(Session s, List<NewTask> tasks) throws SQLException;

  /**
   * Runs the caller's data-modifying statement {@code rowSql} (ending in {@code RETURNING}) and,
   * if it wrote a row, inserts {@code task}, both in one statement: the task's id, or empty when
   * {@code rowSql} wrote nothing. {@code rowSql} reads the new task's id as {@code new_task.id}
   * (selecting {@code FROM new_task}). A unique key already taken fails the whole statement.
   * PostgreSQL only (a data-modifying {@code WITH}).
   */
  default OptionalLong insertWithRow(Session s, String rowSql, List<?> rowParams, NewTask task) throws SQLException {
    throw new UnsupportedOperationException("writing a row and its task in one statement needs PostgreSQL"
        + " (a data-modifying WITH); on " + s.dialect() + " write the row and enqueue in one transaction");
  }

  /** Tells listening workers that these queues got tasks (PostgreSQL only; see {@link #notifies()}). */
  void notifyQueues(Session s, Collection<String> queues);

  // ---- claiming and outcomes

  /**
   * Claims up to {@code limit} due tasks of {@code queue} whose name is in {@code names}: state
   * {@code running}, lease owner {@code owner}, a fresh heartbeat, attempt + 1. The rows come back in
   * claim order (priority first).
   */
  List<Claimed> claim(Session s, String queue, Collection<String> names, int limit, String owner, Instant now)
      throws SQLException;

  /** Marks one task succeeded, in the task's own transaction; 0 when the lease was lost. */
  int succeed(Session s, Claimed task, String owner, Instant now);

  /**
   * Marks many tasks succeeded in one statement, each fenced by its attempt and {@code owner};
   * returns the ids of those it marked (the others had passed to another worker). Their rows stay
   * locked until the caller's transaction ends, so writes recorded with them commit with them.
   */
  List<Long> succeedAll(Session s, List<Claimed> tasks, String owner, Instant now);

  /**
   * Locks the rows of these attempts that {@code owner} still holds (running, same attempt) until
   * the caller's transaction ends, and returns their ids: no rescuer can take them meanwhile, so
   * writes made in this transaction for those tasks commit only while their leases hold.
   */
  List<Long> fence(Session s, List<Claimed> tasks, String owner);

  /** Re-queues a failed attempt to run at {@code runAt}, recording its error. */
  int retryLater(Session s, Claimed task, String owner, Instant runAt, TaskFailure failure);

  /** Marks a task failed for good, recording its error. */
  int fail(Session s, Claimed task, String owner, Instant now, TaskFailure failure);

  /** Gives a claimed task back untouched: queued again to run at {@code runAt}, its attempt not counted. */
  int giveBack(Session s, Claimed task, String owner, Instant runAt);

  /** Refreshes the heartbeat of these running tasks of {@code owner}. */
  int heartbeat(Session s, String owner, List<Long> ids, Instant now);

  /** Running tasks whose heartbeat is older than {@code cutoff}, oldest first, locked (skipping locked ones). */
  List<Stale> stale(Session s, Instant cutoff, int limit);

  /**
   * Re-queues (attempts left) or fails (none left) one stale or orphaned task, recording kind {@code
   * RESCUED} and {@code why}; 0 when it changed meanwhile.
   */
  int rescue(Session s, long id, boolean attemptsLeft, String why, Instant now);

  // ---- worker sessions (PostgreSQL; see V3__worker_sessions.sql)

  /**
   * Whether a worker's liveness can follow its database session (a session-level advisory lock
   * that other sessions can see in {@code pg_locks}); when not, leases alone tell.
   */
  boolean tracksSessions();

  /**
   * Takes the session-level advisory lock {@code key} on {@code c}, the worker's own connection
   * outside the pools, in auto-commit; whether it was free.
   */
  boolean lockSession(Connection c, long key) throws SQLException;

  /** Records that {@code workerId} now lives as long as the session holding {@code key} (backend {@code pid}). */
  void registerSession(Session s, String workerId, long key, int pid, Instant now);

  /** Forgets {@code workerId}'s session (a graceful stop): its tasks are rescued by lease alone again. */
  void unregisterSession(Session s, String workerId, long key);

  /** Registered workers other than {@code except} whose lock no session holds any more. */
  List<SessionKey> goneSessions(Session s, String except);

  /**
   * The running tasks of {@code gone}, provided its lock is still registered and still free, locked
   * (skipping locked ones).
   */
  List<Stale> orphaned(Session s, SessionKey gone, int limit);

  /** Deletes {@code gone}'s row if it holds no running task any more; whether it did. */
  boolean forgetSession(Session s, SessionKey gone);

  // ---- administration

  /** The newest tasks first, filtered by state and queue (each {@code null} for all). */
  List<TaskRecord> list(Session s, TaskState state, String queue, int limit);

  /**
   * The number of tasks per queue and state, queues in name order; only queued and running ones
   * when {@code active}.
   */
  Map<String, Map<TaskState, Long>> counts(Session s, boolean active);

  /** One task, or empty. */
  Optional<TaskRecord> find(Session s, long id);

  /** Failed or cancelled → queued to run at {@code now}, attempts from zero; whether it was. */
  boolean retry(Session s, long id, Instant now);

  /** Queued → cancelled; whether it was queued. */
  boolean cancel(Session s, long id, Instant now);

  /** Deletes up to {@code limit} tasks that finished before {@code cutoff}; returns how many. */
  int prune(Session s, Instant cutoff, int limit);
}
