package io.mingus.server;

import io.mingus.db.ConfigurationException;
import io.mingus.db.Environment;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Chooses the runnable jar's log level and format before the first log line ({@code
 * internal.LogConfigurator} reads the system properties set here): {@code serve} and {@code worker} log at INFO, the commands that
 * print a result ({@code tasks}, {@code health}, {@code send}, {@code migrate}) at WARN so that
 * their stdout holds only the result; {@code --verbose} adds a level (DEBUG for Mingus's own
 * loggers). {@code MINGUS_LOG_FORMAT} is {@code text} (default) or {@code json}.
 */
final class Logging {
  static final String LEVEL = "mingus.log.level";
  static final String ROOT = "mingus.log.root";
  static final String FORMAT = "mingus.log.format";
  private static final Set<String> LONG_RUNNING = Set.of("serve", "worker");

  private Logging() {}

  /** The system properties for this command line and environment. */
  static Map<String, String> properties(String[] args, Map<String, String> env) {
    String command = null;
    boolean verbose = false;
    for (String arg : args) {
      if (arg.equals("--verbose")) {
        verbose = true;
      } else if (command == null && !arg.startsWith("-")) {
        command = arg;
      }
    }
    boolean longRunning = command != null && LONG_RUNNING.contains(command);
    String own = verbose ? (longRunning ? "DEBUG" : "INFO") : (longRunning ? "INFO" : "WARN");
    String root = verbose || longRunning ? "INFO" : "WARN";
    return Map.of(LEVEL, own, ROOT, root, FORMAT, format(env.get("MINGUS_LOG_FORMAT")));
  }

  /**
   * {@code text} or {@code json}.
   *
   * @throws ConfigurationException naming the variable and what is allowed
   */
  static String format(String raw) {
    if (raw == null || raw.isBlank()) {
      return "text";
    }
    String format = raw.trim().toLowerCase(Locale.ROOT);
    if (!format.equals("text") && !format.equals("json")) {
      throw Environment.bad("MINGUS_LOG_FORMAT", raw.trim(), "text or json");
    }
    return format;
  }
}
