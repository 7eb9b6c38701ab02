package io.mingus.server;

import io.mingus.comms.CommunicationService;
import io.mingus.db.Database;
import io.mingus.tasks.TaskAdmin;
import io.mingus.tasks.TaskRecord;
import io.mingus.tasks.TaskState;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The document behind the dashboard ({@code GET /dashboard/live}): the in-memory history of {@link
 * ConsoleHistory} plus what only the database knows (pool health, task counts, the failed,
 * running and queued tasks, engagement). The database parts are cached: read at most once per
 * {@link #FRESH} however many browsers poll (the first poller after that reads, the others wait
 * for it and share the result), task counts and engagement (aggregates over whole tables) at most
 * once per {@link #SLOW}; nothing is read while nobody looks. A part that fails (the database is
 * down) carries its error instead of failing the document. Thread-safe.
 */
final class ConsoleLive {
  static final Duration FRESH = Duration.ofMillis(1500);
  static final Duration SLOW = Duration.ofSeconds(10);
  static final int LISTED = 20;

  private final Database db;
  private final DatabaseDocuments documents;
  private final TaskAdmin tasks;
  private final CommunicationService comms;
  private final ConsoleHistory history;
  private final InstantSource clock;
  private final ReentrantLock lock = new ReentrantLock();
  private Cached fast;
  private Cached slow;

  private record Cached(Instant at, Map<String, Object> parts) {}

  ConsoleLive(Database db, DatabaseDocuments documents, TaskAdmin tasks, CommunicationService comms,
      ConsoleHistory history, InstantSource clock) {
    this.db = db;
    this.documents = documents;
    this.tasks = tasks;
    this.comms = comms;
    this.history = history;
    this.clock = clock;
  }

  /** The document, with the chart points after {@code since}. */
  Map<String, Object> document(long since) {
    Map<String, Object> fastParts;
    Map<String, Object> slowParts;
    lock.lock();
    try {
      Instant now = clock.instant();
      if (fast == null || Duration.between(fast.at(), now).compareTo(FRESH) >= 0) {
        fast = new Cached(now, readFast());
      }
      if (slow == null || Duration.between(slow.at(), now).compareTo(SLOW) >= 0) {
        slow = new Cached(now, readSlow());
      }
      fastParts = fast.parts();
      slowParts = slow.parts();
    } finally {
      lock.unlock();
    }
    ConsoleHistory.LastMinute minute = history.lastMinute();
    Map<String, Object> taskDoc = new LinkedHashMap<>();
    taskDoc.put("counts", slowParts.get("task_counts"));
    Map<String, Object> lastMinute = new LinkedHashMap<>();
    lastMinute.put("succeeded", minute.succeeded());
    lastMinute.put("retried", minute.retried());
    lastMinute.put("failed", minute.failed());
    lastMinute.put("pickup_p50_ms", minute.pickupP50Ms());
    lastMinute.put("pickup_p99_ms", minute.pickupP99Ms());
    taskDoc.put("last_minute", lastMinute);
    taskDoc.put("lists", fastParts.get("task_lists"));
    Map<String, Object> commsDoc = new LinkedHashMap<>();
    commsDoc.put("last_minute", minute.comms());
    commsDoc.put("engagement", slowParts.get("engagement"));
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("generated_at", clock.instant().toString());
    doc.put("interval_ms", ConsoleHistory.INTERVAL.toMillis());
    doc.put("database", fastParts.get("database"));
    doc.put("tasks", taskDoc);
    doc.put("communications", commsDoc);
    doc.put("seq", history.seq());
    doc.put("history", history.points(since));
    return doc;
  }

  private Map<String, Object> readFast() {
    Map<String, Object> parts = new LinkedHashMap<>();
    parts.put("database", part(() -> {
      Map<String, Object> dashboard = documents.dashboard();
      Map<String, Object> database = new LinkedHashMap<>();
      database.put("status", dashboard.get("status"));
      database.put("health", dashboard.get("health_status"));
      database.put("kpis", dashboard.get("kpis"));
      database.put("pools", documents.metrics().get("pool_metrics"));
      database.put("sessions", db.stats());
      return database;
    }));
    parts.put("task_lists", part(() -> {
      Map<String, Object> lists = new LinkedHashMap<>();
      for (TaskState state : new TaskState[] {TaskState.FAILED, TaskState.RUNNING, TaskState.QUEUED}) {
        lists.put(TaskRoutes.label(state), tasks.list(state, null, LISTED).stream().map(ConsoleLive::view).toList());
      }
      return lists;
    }));
    return parts;
  }

  private Map<String, Object> readSlow() {
    Map<String, Object> parts = new LinkedHashMap<>();
    parts.put("task_counts", part(() -> TaskRoutes.counts(tasks.counts())));
    parts.put("engagement", part(comms::engagementSummary));
    return parts;
  }

  /** A task as the dashboard lists it: no payload (it may hold personal data), the stack's head only. */
  static Map<String, Object> view(TaskRecord t) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("id", t.id());
    v.put("queue", t.queue());
    v.put("name", t.name());
    v.put("state", TaskRoutes.label(t.state()));
    v.put("attempt", t.attempt());
    v.put("max_attempts", t.maxAttempts());
    v.put("run_at", t.runAt());
    v.put("created_at", t.createdAt());
    v.put("started_at", t.startedAt());
    v.put("finished_at", t.finishedAt());
    v.put("worker", t.leaseOwner());
    v.put("last_error_kind", t.lastErrorKind());
    v.put("last_error_message", t.lastErrorMessage());
    v.put("last_error_stack", head(t.lastErrorStack(), 12));
    return v;
  }

  private static String head(String text, int lines) {
    if (text == null) {
      return null;
    }
    List<String> all = text.lines().toList();
    return all.size() <= lines ? text : String.join("\n", all.subList(0, lines)) + "\n\t...";
  }

  /** The part, or {"error": why} when reading it failed. */
  private static Object part(Supplier<Object> read) {
    try {
      return read.get();
    } catch (RuntimeException e) {
      return Map.of("error", e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }
  }
}
