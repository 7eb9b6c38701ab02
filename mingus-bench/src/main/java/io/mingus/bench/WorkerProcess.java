package io.mingus.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code mingus worker} process started from the shaded jar, its output in a log file; its
 * CPU time read from the operating system. {@link #close()} sends SIGTERM (a graceful stop) and
 * waits for it to exit.
 */
final class WorkerProcess implements AutoCloseable {
  private final Process process;
  private final Path log;

  private WorkerProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code java [jvmArgs] -jar jar worker --concurrency n --queues comms} with {@code env}
   * added to this process's environment.
   */
  static WorkerProcess start(Path jar, int concurrency, Map<String, String> env, List<String> jvmArgs, Path log)
      throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException("--jar " + jar + " is not a file: build it with ./mvnw -q -DskipTests package"
          + " (mingus-server/target/mingus.jar)");
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    cmd.addAll(List.of("-jar", jar.toString(), "worker", "--concurrency", Integer.toString(concurrency),
        "--queues", "comms"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    return new WorkerProcess(pb.start(), log);
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process.isAlive();
  }

  Path log() {
    return log;
  }

  /** The CPU time the process has used so far (user and system). */
  Duration cpu() {
    return process.toHandle().info().totalCpuDuration().orElse(Duration.ZERO);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
