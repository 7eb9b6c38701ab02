package io.mingus.server;

import io.mingus.db.ConfigurationException;
import io.mingus.db.Database;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code mingus health}: prints the {@code /health/database} document; exit 0 healthy, 1 not. */
@Command(name = "health", mixinStandardHelpOptions = true,
    description = "Checks every pool and prints the health JSON; exits 0 when healthy, 1 when not.")
final class HealthCommand implements Callable<Integer> {
  @ParentCommand
  MingusCommand parent;

  @Override
  public Integer call() {
    var out = parent.spec.commandLine().getOut();
    Database db;
    try {
      db = Services.database(parent.env());
    } catch (ConfigurationException e) {
      throw e;
    } catch (RuntimeException e) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("status", "unhealthy");
      doc.put("error", "the database could not be opened: " + e.getMessage());
      doc.put("timestamp", Instant.now().toString());
      MingusCommand.printJson(out, doc);
      return Cli.FAILED;
    }
    try (db) {
      // a fresh JVM's first check pays for class loading and the pools' first connections, which can
      // exceed the latency that counts as degraded; that is this process's start, not the database
      db.health();
      DatabaseDocuments.Health health = new DatabaseDocuments(db, InstantSource.system()).health();
      MingusCommand.printJson(out, health.document());
      return health.healthy() ? Cli.OK : Cli.FAILED;
    }
  }
}
