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

/** {@code mingus serve}: migrate, then the HTTP server and (unless told not to) embedded workers. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Migrates the database, then serves HTTP on PORT (default 8080) with embedded task workers.")
final class ServeCommand implements Callable<Integer> {
  @ParentCommand
  MingusCommand parent;

  @Option(names = "--port", description = "the HTTP port (default: PORT, else 8080; 0 picks a free one)")
  Integer port;

  @Option(names = "--no-workers", description = "serve HTTP only; run `mingus worker` elsewhere")
  boolean noWorkers;

  @Option(names = "--concurrency", defaultValue = "4",
      description = "tasks run at once per queue by the embedded workers (default: ${DEFAULT-VALUE})")
  int concurrency;

  @Option(names = "--queues", split = ",", description = "queues the embedded workers serve (default: comms,default)")
  List<String> queues = List.of(CommunicationService.QUEUE, "default");

  @Override
  public Integer call() {
    WorkerCommand.checkConcurrency(parent, concurrency);
    ServerSettings settings = ServerSettings.fromEnvironment(parent.env());
    if (port != null) {
      if (port < 0 || port > 65535) {
        throw new CommandLine.ParameterException(parent.spec.commandLine().getSubcommands().get("serve"),
            "--port=" + port + " is not allowed: use a port from 0 to 65535");
      }
      settings = settings.withPort(port);
    }
    Services services = Services.open(parent.env(), noWorkers ? ProcessRole.WEB : ProcessRole.ALL, true);
    Worker worker = null;
    MingusApp app = null;
    try {
      app = MingusApp.create(services.db(), services.queue(), services.service(), settings).start();
      worker = noWorkers ? null : Workers.start(services, queues, concurrency);
      services.started();
    } catch (RuntimeException e) {
      close(app, worker, services);
      throw e;
    }
    MingusApp started = app;
    Worker running = worker;
    Lifecycle.awaitShutdown("mingus serve", () -> close(started, running, services));
    return Cli.OK;
  }

  /** Stops taking requests first, then lets running tasks finish, then closes the database. */
  static void close(MingusApp app, Worker worker, Services services) {
    try {
      if (app != null) {
        app.close();
      }
    } finally {
      try {
        if (worker != null) {
          worker.close();
        }
      } finally {
        services.close();
      }
    }
  }
}
