package io.mingus.server;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.mingus.tasks.TaskAdmin;
import io.mingus.tasks.TaskRecord;
import io.mingus.tasks.TaskState;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code /admin/tasks}: the task table over {@link TaskAdmin} (list, show, retry, cancel). Behind
 * the admin check of {@link Access}.
 */
final class TaskRoutes {
  private final TaskAdmin admin;

  TaskRoutes(TaskAdmin admin) {
    this.admin = admin;
  }

  void register(RoutesConfig routes) {
    routes.get("/admin/tasks", this::list);
    routes.get("/admin/tasks/{id}", ctx -> ctx.json(find(Params.id(ctx, "id"))));
    routes.post("/admin/tasks/{id}/retry", this::retry);
    routes.post("/admin/tasks/{id}/cancel", this::cancel);
  }

  private void list(Context ctx) {
    Params.onlyQuery(ctx, "state", "queue", "limit");
    TaskState state = state(ctx.queryParam("state"));
    String queue = ctx.queryParam("queue");
    int limit = Params.intInRange(ctx, "limit", 50, 1, 1000);
    List<TaskRecord> tasks = admin.list(state, queue == null || queue.isEmpty() ? null : queue, limit);
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("tasks", tasks);
    doc.put("counts", counts(admin.counts()));
    ctx.json(doc);
  }

  private void retry(Context ctx) {
    long id = Params.id(ctx, "id");
    TaskRecord task = find(id);
    if (!admin.retry(id)) {
      throw HttpProblem.conflict("task " + id + " is " + label(task.state())
          + "; only failed or cancelled tasks can be retried");
    }
    ctx.json(find(id));
  }

  private void cancel(Context ctx) {
    long id = Params.id(ctx, "id");
    TaskRecord task = find(id);
    if (!admin.cancel(id)) {
      throw HttpProblem.conflict("task " + id + " is " + label(task.state()) + "; only queued tasks can be cancelled");
    }
    ctx.json(find(id));
  }

  private TaskRecord find(long id) {
    return admin.find(id).orElseThrow(() -> HttpProblem.notFound("task " + id + " does not exist"));
  }

  static Map<String, Map<String, Long>> counts(Map<String, Map<TaskState, Long>> counts) {
    Map<String, Map<String, Long>> out = new LinkedHashMap<>();
    counts.forEach((queue, byState) -> {
      Map<String, Long> states = new LinkedHashMap<>();
      byState.forEach((s, n) -> states.put(label(s), n));
      out.put(queue, states);
    });
    return out;
  }

  static TaskState state(String raw) {
    if (raw == null || raw.isEmpty()) {
      return null;
    }
    for (TaskState s : TaskState.values()) {
      if (s.name().equalsIgnoreCase(raw)) {
        return s;
      }
    }
    throw HttpProblem.invalid("state", "must be one of queued, running, succeeded, failed, cancelled");
  }

  static String label(TaskState s) {
    return s.name().toLowerCase(Locale.ROOT);
  }
}
