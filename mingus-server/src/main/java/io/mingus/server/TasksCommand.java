package io.mingus.server;

import io.mingus.tasks.TaskAdmin;
import io.mingus.tasks.TaskRecord;
import io.mingus.tasks.TaskState;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code mingus tasks list|show|retry|cancel|prune}: the task table, as Celery's inspect and purge. */
@Command(name = "tasks", mixinStandardHelpOptions = true, description = "Lists, shows, retries, cancels and prunes tasks.",
    subcommands = {TasksCommand.ListTasks.class, TasksCommand.Show.class, TasksCommand.Retry.class,
        TasksCommand.Cancel.class, TasksCommand.Prune.class})
final class TasksCommand implements Runnable {
  @ParentCommand
  MingusCommand parent;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(parent.spec.commandLine().getSubcommands().get("tasks"),
        "a subcommand is required: list, show, retry, cancel or prune");
  }

  <R> R withAdmin(Function<TaskAdmin, R> work) {
    try (Services services = Services.open(parent.env())) {
      return work.apply(services.queue().admin());
    }
  }

  PrintWriter out() {
    return parent.spec.commandLine().getOut();
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists tasks, newest first, and counts by queue and state.")
  static final class ListTasks implements Callable<Integer> {
    @ParentCommand
    TasksCommand tasks;

    @Option(names = "--state", description = "queued, running, succeeded, failed or cancelled")
    TaskState state;

    @Option(names = "--queue", description = "only this queue")
    String queue;

    @Option(names = "--limit", defaultValue = "50", description = "at most this many (1 to 1000; default ${DEFAULT-VALUE})")
    int limit;

    @Override
    public Integer call() {
      if (limit < 1 || limit > 1000) {
        throw new CommandLine.ParameterException(tasks.parent.spec.commandLine().getSubcommands().get("tasks")
            .getSubcommands().get("list"), "--limit=" + limit + " is not allowed: use 1 to 1000");
      }
      List<TaskRecord> list = tasks.withAdmin(admin -> admin.list(state, queue, limit));
      PrintWriter out = tasks.out();
      out.printf("%-10s %-10s %-28s %-10s %-8s %-24s %s%n", "ID", "QUEUE", "NAME", "STATE", "ATTEMPT", "RUN AT", "LAST ERROR");
      for (TaskRecord t : list) {
        out.printf("%-10d %-10s %-28s %-10s %-8s %-24s %s%n", t.id(), t.queue(), t.name(),
            t.state().name().toLowerCase(Locale.ROOT), t.attempt() + "/" + t.maxAttempts(), t.runAt(),
            t.lastErrorKind() == null ? "" : t.lastErrorKind().name());
      }
      out.flush();
      return Cli.OK;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Prints one task as JSON.")
  static final class Show implements Callable<Integer> {
    @ParentCommand
    TasksCommand tasks;

    @Parameters(paramLabel = "ID", description = "the task id")
    long id;

    @Override
    public Integer call() {
      TaskRecord task = tasks.withAdmin(admin -> admin.find(id))
          .orElseThrow(() -> new Cli.CommandFailure("task " + id + " does not exist", Cli.FAILED));
      MingusCommand.printJson(tasks.out(), task);
      return Cli.OK;
    }
  }

  /** Retries or cancels one task; a task that does not exist, or is in the wrong state, fails with one line. */
  static String transition(TaskAdmin admin, long id, java.util.function.LongPredicate change,
      String rule, String done) {
    TaskRecord task = admin.find(id)
        .orElseThrow(() -> new Cli.CommandFailure("task " + id + " does not exist", Cli.FAILED));
    if (!change.test(id)) {
      throw new Cli.CommandFailure("task " + id + " is " + TaskRoutes.label(task.state()) + "; " + rule, Cli.FAILED);
    }
    return "task " + id + " " + done;
  }

  @Command(name = "retry", mixinStandardHelpOptions = true, description = "Queues a failed or cancelled task again.")
  static final class Retry implements Callable<Integer> {
    @ParentCommand
    TasksCommand tasks;

    @Parameters(paramLabel = "ID", description = "the task id")
    long id;

    @Override
    public Integer call() {
      String outcome = tasks.withAdmin(admin -> transition(admin, id, admin::retry,
          "only failed or cancelled tasks can be retried", "is queued again"));
      tasks.out().println(outcome);
      return Cli.OK;
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancels a queued task.")
  static final class Cancel implements Callable<Integer> {
    @ParentCommand
    TasksCommand tasks;

    @Parameters(paramLabel = "ID", description = "the task id")
    long id;

    @Override
    public Integer call() {
      String outcome = tasks.withAdmin(admin -> transition(admin, id, admin::cancel,
          "only queued tasks can be cancelled", "is cancelled"));
      tasks.out().println(outcome);
      return Cli.OK;
    }
  }

  @Command(name = "prune", mixinStandardHelpOptions = true, description = "Deletes finished tasks older than a duration.")
  static final class Prune implements Callable<Integer> {
    @ParentCommand
    TasksCommand tasks;

    @Option(names = "--older-than", defaultValue = "7d", converter = DurationConverter.class,
        description = "finished longer ago than this: 30m, 12h, 7d or ISO-8601 such as P7D (default ${DEFAULT-VALUE})")
    Duration olderThan;

    @Option(names = "--batch-size", defaultValue = "1000", description = "rows deleted per transaction (default ${DEFAULT-VALUE})")
    int batchSize;

    @Override
    public Integer call() {
      if (batchSize < 1 || batchSize > 100_000) {
        throw new CommandLine.ParameterException(tasks.parent.spec.commandLine().getSubcommands().get("tasks")
            .getSubcommands().get("prune"), "--batch-size=" + batchSize + " is not allowed: use 1 to 100000");
      }
      int pruned = tasks.withAdmin(admin -> admin.prune(olderThan, batchSize));
      tasks.out().println("pruned " + pruned + " finished tasks older than " + olderThan);
      return Cli.OK;
    }
  }

  /** {@code 30s}, {@code 30m}, {@code 12h}, {@code 7d}, or ISO-8601 ({@code PT12H}, {@code P7D}). */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.trim().toLowerCase(Locale.ROOT);
      try {
        if (v.startsWith("p")) {
          return Duration.parse(v.toUpperCase(Locale.ROOT));
        }
        long n = Long.parseLong(v.substring(0, v.length() - 1));
        Duration d = switch (v.charAt(v.length() - 1)) {
          case 's' -> Duration.ofSeconds(n);
          case 'm' -> Duration.ofMinutes(n);
          case 'h' -> Duration.ofHours(n);
          case 'd' -> Duration.ofDays(n);
          default -> null;
        };
        if (d != null && !d.isNegative()) {
          return d;
        }
      } catch (RuntimeException e) {
        // reported below
      }
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a duration: use 30m, 12h, 7d or ISO-8601 such as P7D");
    }
  }
}
