package io.mingus.tasks.internal;

import io.mingus.db.Database;
import io.mingus.db.DatabaseErrors;
import io.mingus.db.Session;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enqueues the ticks of periodic tasks: the latest tick not after now, with the unique key {@code
 * schedule:<name>:<tick epoch second>}, so that any number of workers carrying the schedule
 * enqueue it once. It remembers the last tick it enqueued per schedule, so it inserts at most once
 * a tick; at start, the latest tick is enqueued if no worker did (one missed tick is caught up,
 * not more). Thread-safe.
 */
public final class ScheduleEnqueuer {
  private static final Logger LOG = LoggerFactory.getLogger(ScheduleEnqueuer.class);
  /** The longest wait between two looks at the clock. */
  static final Duration MAX_PERIOD = Duration.ofSeconds(1);

  /** Enqueues one tick's task in {@code session}, with this run-at and unique key; returns its id. */
  @FunctionalInterface
  public interface Enqueue {
    long enqueue(Session session, Instant tick, String uniqueKey);
  }

  /**
   * One schedule.
   *
   * @param name its name, part of each tick's unique key
   * @param latestTick the latest tick at or before an instant
   * @param enqueue enqueues a tick's task
   */
  public record Entry(String name, UnaryOperator<Instant> latestTick, Enqueue enqueue) {}

  private final Database db;
  private final InstantSource clock;
  private final List<Entry> entries;
  private final Map<String, Instant> lastTicks = new ConcurrentHashMap<>();
  private final Set<String> failed = ConcurrentHashMap.newKeySet();

  /** Enqueues the ticks of {@code entries} on {@code db}, by {@code clock}. */
  public ScheduleEnqueuer(Database db, InstantSource clock, List<Entry> entries) {
    this.db = db;
    this.clock = clock;
    this.entries = List.copyOf(entries);
  }

  /** How often to look at the clock: the poll interval, at most {@link #MAX_PERIOD}. */
  public static Duration period(Duration pollInterval) {
    return pollInterval.compareTo(MAX_PERIOD) < 0 ? pollInterval : MAX_PERIOD;
  }

  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /** Enqueues every schedule's latest tick not after now, unless this worker already did. */
  public void enqueueDue() {
    Instant now = clock.instant();
    for (Entry e : entries) {
      enqueueDue(e, now);
    }
  }

  private void enqueueDue(Entry e, Instant now) {
    Instant tick;
    try {
      tick = e.latestTick().apply(now);
    } catch (RuntimeException failure) {
      // one bad schedule must not starve the ones after it; the worker refuses impossible ones at build
      if (failed.add(e.name())) {
        LOG.error("schedule '{}' has no tick at or before {}: {}; it is skipped", e.name(), now, failure.toString());
      }
      return;
    }
    if (tick.equals(lastTicks.get(e.name()))) {
      return;
    }
    try {
      long id = db.fromTransaction(WorkerDb.control("schedule:" + e.name()),
          s -> e.enqueue().enqueue(s, tick, key(e.name(), tick)));
      lastTicks.put(e.name(), tick);
      LOG.debug("schedule '{}' tick {}: task {}", e.name(), tick, id);
    } catch (RuntimeException failure) {
      LOG.warn("schedule '{}' could not enqueue tick {} ({}); trying again", e.name(), tick,
          DatabaseErrors.classify(failure).kind(), failure);
    }
  }

  /** The unique key of a tick's task. */
  static String key(String schedule, Instant tick) {
    return "schedule:" + schedule + ":" + tick.getEpochSecond();
  }
}
