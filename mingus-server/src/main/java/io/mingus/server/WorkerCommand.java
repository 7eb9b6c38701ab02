package io.mingus.server;

import io.mingus.comms.CommunicationService;
import io.mingus.db.ProcessRole;
import io.mingus.tasks.Worker;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code mingus worker}: task workers only, like {@code celery worker}; any number per database. */
@Command(name = "worker", mixinStandardHelpOptions = true,
    description = "Runs task workers only (no HTTP); start as many as you like against one PostgreSQL.")
final class WorkerCommand implements Callable<Integer> {
  @ParentCommand
  MingusCommand parent;

  @Option(names = "--concurrency", defaultValue = "4",
      description = "tasks in flight per queue, each on a virtual thread; a send holds no database connection"
          + " while its provider is called, so this may be far above the worker pool (default: ${DEFAULT-VALUE})")
  int concurrency;

  @Option(names = "--queues", split = ",", description = "queues to serve (default: comms,default)")
  List<String> queues = List.of(CommunicationService.QUEUE, "default");

  @Override
  public Integer call() {
    checkConcurrency(parent, concurrency);
    Services services = Services.open(parent.env(), ProcessRole.WORKER, true);
    Worker worker;
    try {
      worker = Workers.start(services, queues, concurrency);
      services.started();
    } catch (RuntimeException e) {
      services.close();
      throw e;
    }
    Lifecycle.awaitShutdown("mingus worker " + worker.id(), () -> ServeCommand.close(null, worker, services));
    return Cli.OK;
  }

  static void checkConcurrency(MingusCommand parent, int concurrency) {
    if (concurrency < 1 || concurrency > 1024) {
      throw new CommandLine.ParameterException(parent.spec.commandLine(),
          "--concurrency=" + concurrency + " is not allowed: use 1 to 1024");
    }
  }
}
