package io.mingus.bench;

import java.io.PrintStream;

/** Issue 3 item 9: waits for mingus-tasks. */
final class TasksBench {
  private TasksBench() {}

  record Settings() {
    static Settings from(Args a) {
      return new Settings();
    }
  }

  static void run(Settings s, PrintStream out) {
    throw new IllegalArgumentException("the tasks benchmark is not built yet: mingus-tasks is not installed");
  }
}
