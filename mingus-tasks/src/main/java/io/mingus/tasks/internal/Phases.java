package io.mingus.tasks.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.mingus.db.Session;
import io.mingus.tasks.PhasedTask;
import io.mingus.tasks.Task;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the database phases of {@link PhasedTask}s for a batch of attempts in the caller's
 * transaction: {@code prepareAll} (with a claim, or alone) and {@code recordAll} (with the
 * completions). The attempts carry their payloads and what the phases returned ({@link
 * Execution}). Stateless.
 */
final class Phases {
  private Phases() {}

  /**
   * Groups attempts by their phased task, in claim order; attempts of other tasks, and those whose
   * payload cannot be read, are left out (their slot reports the payload).
   */
  static Map<PhasedTask<?, ?, ?>, List<Execution>> byTask(List<Execution> xs, Map<String, Task<?>> tasks,
      ObjectMapper json) {
    Map<PhasedTask<?, ?, ?>, List<Execution>> groups = new LinkedHashMap<>();
    for (Execution x : xs) {
      if (tasks.get(x.claimed().name()) instanceof PhasedTask<?, ?, ?> task && read(x, task, json)) {
        groups.computeIfAbsent(task, t -> new ArrayList<>()).add(x);
      }
    }
    return groups;
  }

  /** Reads the attempt's payload onto it, once; false when it cannot be read. */
  static boolean read(Execution x, Task<?> task, ObjectMapper json) {
    if (x.payload() != null) {
      return true;
    }
    try {
      x.payload(json.readValue(x.claimed().payload(), task.payloadType()));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Runs {@code task.prepareAll} for {@code xs} in {@code s} and keeps each result on its attempt;
   * returns the attempts it found done (prepare returned null).
   */
  @SuppressWarnings("unchecked")
  static <P, R, O> List<Execution> prepare(Session s, PhasedTask<P, R, O> task, List<Execution> xs) throws Exception {
    List<PhasedTask.Item<P>> items = new ArrayList<>(xs.size());
    for (Execution x : xs) {
      items.add(new PhasedTask.Item<>(new RunContext(s, x.claimed()), (P) x.payload()));
    }
    List<R> out = task.prepareAll(s, items);
    if (out == null || out.size() != xs.size()) {
      throw new IllegalStateException("task '" + task.name() + "': prepareAll returned " + (out == null ? "null"
          : out.size() + " results") + " for " + xs.size() + " tasks; it must return one (or null) per task, in order");
    }
    List<Execution> done = new ArrayList<>();
    for (int k = 0; k < xs.size(); k++) {
      xs.get(k).prepared(out.get(k));
      if (out.get(k) == null) {
        done.add(xs.get(k));
      }
    }
    return done;
  }

  /** Runs {@code task.recordAll} for {@code xs} (prepared and called) in {@code s}. */
  @SuppressWarnings("unchecked")
  static <P, R, O> void record(Session s, PhasedTask<P, R, O> task, List<Execution> xs) throws Exception {
    List<PhasedTask.Result<P, R, O>> results = new ArrayList<>(xs.size());
    for (Execution x : xs) {
      results.add(new PhasedTask.Result<>(new RunContext(s, x.claimed()), (P) x.payload(), (R) x.prepared(),
          (O) x.outcome()));
    }
    task.recordAll(s, results);
  }

  /** The claimed rows of these attempts. */
  static List<TaskStore.Claimed> rows(List<Execution> xs) {
    List<TaskStore.Claimed> rows = new ArrayList<>(xs.size());
    for (Execution x : xs) {
      rows.add(x.claimed());
    }
    return rows;
  }
}
