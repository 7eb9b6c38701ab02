package io.mingus.server;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code mingus migrate}: applies the tasks and comms migrations, then exits. Unlike a start, it
 * always runs Flyway, so it also validates the checksums of the applied scripts.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
    description = "Applies the database migrations of every module, then exits.")
final class MigrateCommand implements Callable<Integer> {
  @ParentCommand
  MingusCommand parent;

  @Override
  public Integer call() {
    try (Services services = Services.open(parent.env(), io.mingus.db.ProcessRole.ALL, false, true)) {
      parent.spec.commandLine().getOut().println("mingus migrate: the database is up to date ("
          + services.db().dialect().name().toLowerCase(java.util.Locale.ROOT) + ")");
    }
    return Cli.OK;
  }
}
