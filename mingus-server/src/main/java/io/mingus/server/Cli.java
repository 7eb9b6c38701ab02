package io.mingus.server;

import io.mingus.comms.NotFoundException;
import io.mingus.comms.ValidationException;
import io.mingus.db.ConfigurationException;
import io.mingus.db.DatabaseErrors;
import io.mingus.db.ErrorKind;
import java.io.PrintWriter;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Runs a {@code mingus} command line against an environment: the testable core of {@link Main}.
 * Bad arguments, bad configuration and bad input print one line on stderr and exit 2; a failure
 * prints one line and exits 1 (its stack goes to the log).
 */
final class Cli {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;
  private static final Logger LOG = LoggerFactory.getLogger(Cli.class);

  private Cli() {}

  static int run(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
    CommandLine cmd = new CommandLine(new MingusCommand(env));
    String named = named(args);
    MingusCommand.COMMANDS.forEach((name, command) -> {
      if (named == null || named.equals(name)) {
        cmd.addSubcommand(name, command.get());
      }
    });
    cmd.setOut(out);
    cmd.setErr(err);
    cmd.setCaseInsensitiveEnumValuesAllowed(true);
    cmd.setParameterExceptionHandler((ex, ignored) -> {
      String where = ex.getCommandLine().getCommandSpec().qualifiedName();
      ex.getCommandLine().getErr().println(where + ": " + oneLine(ex.getMessage()) + " (see " + where + " --help)");
      return USAGE;
    });
    cmd.setExecutionExceptionHandler((ex, commandLine, ignored) -> {
      String where = commandLine.getCommandSpec().qualifiedName();
      return switch (ex) {
        case ConfigurationException c -> fail(commandLine, where + ": configuration: " + c.getMessage(), USAGE);
        case ValidationException v -> fail(commandLine, where + ": " + v.getMessage(), USAGE);
        case NotFoundException n -> fail(commandLine, where + ": " + n.getMessage(), USAGE);
        case CommandFailure f -> fail(commandLine, where + ": " + f.getMessage(), f.exitCode());
        default -> {
          ErrorKind kind = DatabaseErrors.classify(ex).kind();
          if (kind == ErrorKind.CONNECTION) {
            yield fail(commandLine, where + ": the database cannot be reached: " + ex.getMessage(), FAILED);
          }
          if (kind == ErrorKind.POOL_EXHAUSTED) {
            yield fail(commandLine, where + ": no database connection became free (raise DB_POOL_SIZE): "
                + ex.getMessage(), FAILED);
          }
          LOG.error("{} failed", where, ex);
          yield fail(commandLine, where + ": failed: " + ex, FAILED);
        }
      };
    });
    return cmd.execute(args);
  }

  // the subcommand a command line names: its first argument that is not an option, if it is one
  private static String named(String[] args) {
    for (String a : args) {
      if (!a.startsWith("-")) {
        return MingusCommand.COMMANDS.containsKey(a) ? a : null;
      }
    }
    return null;
  }

  private static int fail(CommandLine cmd, String line, int code) {
    cmd.getErr().println(oneLine(line));
    return code;
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").trim();
  }

  /** A command's own failure: its message is the one line printed, with this exit code. */
  static final class CommandFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    CommandFailure(String message, int exitCode) {
      super(message, null, false, false);
      this.exitCode = exitCode;
    }

    int exitCode() {
      return exitCode;
    }
  }
}
