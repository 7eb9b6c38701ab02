package io.mingus.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code mingus}: the top command; holds the environment its subcommands read. */
@Command(name = "mingus", mixinStandardHelpOptions = true, version = "mingus 0.1.0",
    description = "The MINGUS communication service: HTTP API, task workers and administration.")
final class MingusCommand implements Runnable {
  /**
   * The subcommands by name, in the order of {@code --help}. {@link Cli} adds only the one a
   * command line names (picocli builds each command's model by reflection, a tenth of a second
   * of a server's start for all of them), and all of them when it names none.
   */
  static final Map<String, Supplier<Object>> COMMANDS = commands();

  private final Map<String, String> env;

  @Spec
  CommandSpec spec;

  // read by Main before logging starts (see Logging); declared here so that every command accepts it
  @Option(names = "--verbose", scope = ScopeType.INHERIT,
      description = "log more on stderr: INFO for commands that print a result (default WARN), DEBUG for Mingus in serve and worker")
  boolean verbose;

  private static Map<String, Supplier<Object>> commands() {
    Map<String, Supplier<Object>> m = new LinkedHashMap<>();
    m.put("serve", ServeCommand::new);
    m.put("worker", WorkerCommand::new);
    m.put("migrate", MigrateCommand::new);
    m.put("tasks", TasksCommand::new);
    m.put("health", HealthCommand::new);
    m.put("send", SendCommand::new);
    m.put("aot-train", AotTrainCommand::new);
    return Collections.unmodifiableMap(m);
  }

  MingusCommand(Map<String, String> env) {
    this.env = Map.copyOf(env);
  }

  Map<String, String> env() {
    return env;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "a command is required: serve, worker, migrate, tasks, health or send");
  }

  // built when a command first prints JSON (serve never does)
  private static final class Pretty {
    static final ObjectMapper MAPPER = Json.mapper();
  }

  /** Prints {@code value} as indented JSON. */
  static void printJson(PrintWriter out, Object value) {
    try {
      out.println(Pretty.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value));
      out.flush();
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("could not write " + value.getClass().getSimpleName() + " as JSON", e);
    }
  }
}
