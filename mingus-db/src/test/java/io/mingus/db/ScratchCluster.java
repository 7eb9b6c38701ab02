package io.mingus.db;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL primary and its streaming replica of a test's own, never the shared server: {@code
 * initdb} into a temporary folder ({@code wal_level=replica}, trust on 127.0.0.1), a postmaster on a
 * free port, {@code pg_basebackup -R} into a second folder and a second postmaster on another free
 * port, all with {@code /usr/lib/postgresql/15/bin} (or {@code PG_BIN}). Run as root, the tools run
 * as {@code postgres} (PostgreSQL refuses root). {@link #stopReplica()} and {@link #startReplica()}
 * take the replica down and up; {@link #close()} stops both and deletes the folders.
 */
public final class ScratchCluster implements AutoCloseable {
  private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

  private final Path bin;
  private final Path dir;
  private final int primaryPort;
  private final int replicaPort;

  private ScratchCluster(Path bin, Path dir, int primaryPort, int replicaPort) {
    this.bin = bin;
    this.dir = dir;
    this.primaryPort = primaryPort;
    this.replicaPort = replicaPort;
  }

  /** PostgreSQL's server binaries, or {@code null} when they are not installed. */
  public static Path binaries() {
    String env = System.getenv("PG_BIN");
    Path bin = Path.of(env != null && !env.isBlank() ? env : "/usr/lib/postgresql/15/bin");
    return Files.isExecutable(bin.resolve("initdb")) ? bin : null;
  }

  /** Creates and starts a primary and its streaming replica. */
  public static ScratchCluster start() {
    Path bin = binaries();
    if (bin == null) {
      throw new IllegalStateException("PostgreSQL's server binaries are not installed (set PG_BIN)");
    }
    ScratchCluster c = null;
    try {
      Path dir = Files.createTempDirectory("mingus-replica-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
      c = new ScratchCluster(bin, dir, freePort(), freePort());
      if (ROOT) {
        run(List.of("chown", "postgres", dir.toString()));
      }
      c.tool("initdb", "-D", c.primary().toString(), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8");
      Files.writeString(c.primary().resolve("postgresql.auto.conf"), String.join("\n",
          "port = " + c.primaryPort, "listen_addresses = '127.0.0.1'", "unix_socket_directories = '" + dir + "'",
          "wal_level = replica", "max_wal_senders = 4", "max_connections = 30", "fsync = off",
          "synchronous_commit = off", "full_page_writes = off", "shared_buffers = 16MB", ""));
      if (ROOT) {
        run(List.of("chown", "postgres", c.primary().resolve("postgresql.auto.conf").toString()));
      }
      c.pgCtl(c.primary(), "start");
      c.tool("pg_basebackup", "-h", "127.0.0.1", "-p", Integer.toString(c.primaryPort), "-U", "postgres", "-D",
          c.replica().toString(), "-R", "-X", "stream", "--no-sync");
      Path conf = c.replica().resolve("postgresql.auto.conf");
      Files.writeString(conf, Files.readString(conf) + "port = " + c.replicaPort + "\nhot_standby = on\n");
      c.startReplica();
      return c;
    } catch (IOException | RuntimeException e) {
      if (c != null) {
        c.close();
      }
      throw new IllegalStateException("could not start a scratch primary and replica: " + e.getMessage(), e);
    }
  }

  private Path primary() {
    return dir.resolve("primary");
  }

  private Path replica() {
    return dir.resolve("replica");
  }

  /** A pgjdbc URL of the primary's {@code postgres} database. */
  public String primaryUrl() {
    return "jdbc:postgresql://127.0.0.1:" + primaryPort + "/postgres";
  }

  /** A pgjdbc URL of the replica's {@code postgres} database. */
  public String replicaUrl() {
    return "jdbc:postgresql://127.0.0.1:" + replicaPort + "/postgres";
  }

  /** Stops the replica (fast shutdown). */
  public void stopReplica() {
    pgCtl(replica(), "stop", "-m", "fast");
  }

  /** Starts the replica and waits until it accepts connections. */
  public void startReplica() {
    pgCtl(replica(), "start");
  }

  private void pgCtl(Path data, String action, String... more) {
    List<String> args = new ArrayList<>(List.of("-D", data.toString(), "-w", "-t", "120", "-l",
        dir.resolve(data.getFileName() + ".log").toString(), action));
    args.addAll(List.of(more));
    tool("pg_ctl", args.toArray(String[]::new));
  }

  private void tool(String name, String... args) {
    List<String> command = new ArrayList<>();
    if (ROOT) {
      command.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    command.add(bin.resolve(name).toString());
    command.addAll(List.of(args));
    run(command);
  }

  private static void run(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      if (!p.waitFor(180, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
      }
    } catch (IOException e) {
      throw new IllegalStateException(String.join(" ", command) + " could not run", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Stops both postmasters (immediately) and deletes the folders; idempotent. */
  @Override
  public void close() {
    for (Path data : List.of(replica(), primary())) {
      if (Files.exists(data.resolve("postmaster.pid"))) {
        try {
          pgCtl(data, "stop", "-m", "immediate");
        } catch (RuntimeException e) {
          System.err.println("could not stop " + data + ": " + e.getMessage());
        }
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      System.err.println("could not delete " + dir + ": " + e.getMessage());
    }
  }
}
