package io.mingus.server;

import io.mingus.db.ConfigurationException;
import java.io.PrintWriter;

/**
 * The {@code mingus} command line: {@code java -jar mingus.jar serve|worker|migrate|tasks|health|send}.
 * Run {@code mingus --help} for the commands and {@code mingus <command> --help} for their options.
 * Exit codes: 0 success, 1 failure (or, for {@code health}, not healthy), 2 bad arguments or
 * configuration (one line on stderr). Logs go to stderr (see {@link Logging}).
 */
public final class Main {
  private Main() {}

  /** Runs one command and exits with its code. */
  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    try {
      // before anything logs: internal.LogConfigurator reads these when logback starts
      Logging.properties(args, System.getenv()).forEach(System::setProperty);
    } catch (ConfigurationException | IllegalArgumentException e) {
      err.println("mingus: configuration: " + e.getMessage());
      System.exit(Cli.USAGE);
    }
    int code = Cli.run(args, System.getenv(), out, err);
    out.flush();
    err.flush();
    System.exit(code);
  }
}
