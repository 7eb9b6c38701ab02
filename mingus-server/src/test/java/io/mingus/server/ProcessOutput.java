package io.mingus.server;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the tests that start {@code mingus serve} as a process read from its output. */
final class ProcessOutput {
  private static final Pattern LISTENING = Pattern.compile("HTTP server listening on [^:]+:(\\d+)");

  private ProcessOutput() {}

  /** The HTTP port the server's log line announced, or 0 while it has not announced one. */
  static int port(List<String> output) {
    for (String line : output) {
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
    }
    return 0;
  }
}
