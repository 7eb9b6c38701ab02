package io.mingus.db;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * A PgBouncer of a test's own, in front of the local PostgreSQL: Debian's {@code pgbouncer}
 * started on a free port with a configuration in a temporary folder (transaction pooling, trust
 * authentication of the users it is given), stopped and its folder deleted by {@link #close()}.
 * {@link #shared()} is one for the whole test JVM, stopped at its exit.
 *
 * <p>PgBouncer refuses to run as root; a test run as root starts it as {@code postgres} ({@code
 * -u}). Its log goes to {@code pgbouncer.out} in the folder ({@link #log()}).
 *
 * <pre>{@code
 * try (PgBouncer bouncer = PgBouncer.start(PgBouncer.Settings.defaults())) {
 *   String url = bouncer.jdbcUrl("test");   // jdbc:postgresql://127.0.0.1:<port>/test
 * }
 * }</pre>
 */
public final class PgBouncer implements AutoCloseable {
  private static final String[] BINARIES = {"/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer"};
  private static PgBouncer shared;

  /**
   * What the PgBouncer serves.
   *
   * @param host PostgreSQL's host
   * @param port PostgreSQL's port
   * @param database the database served, under the same name
   * @param user the user let in (trust)
   * @param poolSize PgBouncer's {@code default_pool_size}: server connections per database and user
   */
  public record Settings(String host, int port, String database, String user, int poolSize) {
    /** The local PostgreSQL's {@code test} database for {@code postgres}, 10 server connections. */
    public static Settings defaults() {
      return new Settings("127.0.0.1", 5432, "test", TestDb.postgresUser(), 10);
    }

    /** These settings with another pool size. */
    public Settings withPoolSize(int size) {
      return new Settings(host, port, database, user, size);
    }
  }

  private final Settings settings;
  private final Path dir;
  private final Process process;
  private final int port;

  private PgBouncer(Settings settings, Path dir, Process process, int port) {
    this.settings = settings;
    this.dir = dir;
    this.process = process;
    this.port = port;
  }

  /** The pgbouncer binary, or {@code null} when it is not installed. */
  public static Path binary() {
    for (String b : BINARIES) {
      if (Files.isExecutable(Path.of(b))) {
        return Path.of(b);
      }
    }
    return null;
  }

  /** The one PgBouncer of this JVM (default settings), started on first use, stopped at exit. */
  public static synchronized PgBouncer shared() {
    if (shared == null || !shared.process.isAlive()) {
      PgBouncer started = start(Settings.defaults());
      Runtime.getRuntime().addShutdownHook(new Thread(started::close, "pgbouncer-stop"));
      shared = started;
    }
    return shared;
  }

  /** Starts a PgBouncer with {@code settings} and waits until it accepts connections. */
  public static PgBouncer start(Settings settings) {
    Path binary = binary();
    if (binary == null) {
      throw new IllegalStateException("pgbouncer is not installed (looked for " + String.join(", ", BINARIES)
          + "): apt-get install pgbouncer (.ci/run does)");
    }
    try {
      Path dir = Files.createTempDirectory("mingus-pgbouncer-",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
      int port = freePort();
      Path ini = dir.resolve("pgbouncer.ini");
      Files.writeString(ini, config(settings, port, dir));
      Files.writeString(dir.resolve("userlist.txt"), "\"" + settings.user() + "\" \"\"\n");
      List<String> command = new ArrayList<>(List.of(binary.toString()));
      if ("root".equals(System.getProperty("user.name"))) {
        command.addAll(List.of("-u", "postgres"));
      }
      command.add(ini.toString());
      Process p = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(dir.resolve("pgbouncer.out").toFile()).start();
      PgBouncer bouncer = new PgBouncer(settings, dir, p, port);
      try {
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
            .until(() -> !p.isAlive() || accepts(port));
        if (!p.isAlive()) {
          throw new IllegalStateException("pgbouncer exited with " + p.exitValue() + " at start: " + bouncer.log());
        }
      } catch (RuntimeException e) {
        bouncer.close();
        throw e;
      }
      return bouncer;
    } catch (IOException e) {
      throw new IllegalStateException("could not start pgbouncer", e);
    }
  }

  private static String config(Settings s, int port, Path dir) {
    // ignore_startup_parameters: pgjdbc sends extra_float_digits, which PgBouncer 1.18 refuses.
    return """
        [databases]
        %1$s = host=%2$s port=%3$d dbname=%1$s

        [pgbouncer]
        listen_addr = 127.0.0.1
        listen_port = %4$d
        unix_socket_dir =
        auth_type = trust
        auth_file = %5$s
        pool_mode = transaction
        default_pool_size = %6$d
        max_client_conn = 2000
        ignore_startup_parameters = extra_float_digits
        log_connections = 0
        log_disconnections = 0
        """.formatted(s.database(), s.host(), s.port(), port, dir.resolve("userlist.txt"), s.poolSize());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The port PgBouncer listens on (127.0.0.1). */
  public int port() {
    return port;
  }

  /** The settings it was started with. */
  public Settings settings() {
    return settings;
  }

  /** A pgjdbc URL of {@code database} through this PgBouncer. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  /** What PgBouncer logged so far. */
  public String log() {
    try {
      return Files.readString(dir.resolve("pgbouncer.out"));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Stops PgBouncer (SIGTERM, then SIGKILL) and deletes its folder; idempotent. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      System.err.println("could not delete " + dir + ": " + e.getMessage());
    }
  }
}
