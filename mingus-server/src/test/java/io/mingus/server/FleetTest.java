package io.mingus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.mingus.comms.Channel;
import io.mingus.comms.CommunicationService;
import io.mingus.comms.Providers;
import io.mingus.comms.SendRequest;
import io.mingus.db.Database;
import io.mingus.db.DatabaseConfig;
import io.mingus.db.PgBouncer;
import io.mingus.db.PoolName;
import io.mingus.db.Profile;
import io.mingus.db.TestDb;
import io.mingus.tasks.TaskQueue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet on one PostgreSQL (issue 11): one {@code mingus serve --no-workers} and N {@code mingus
 * worker} processes, each a JVM of its own with the production profile and its defaults (pool
 * sizes, worker concurrency), drain SMS queued beforehand in a database of the test's own; every
 * SMS ends {@code sent} exactly once (the database and the outbox files agree), no process logs a
 * connection error, and the peak of {@code pg_stat_activity} for that database is reported. Once
 * directly, once through a PgBouncer in transaction pooling.
 *
 * <p>CI runs a small fleet; the full one is the same test with system properties (BENCHMARKS §11):
 * {@code -Dmingus.fleet.sms=20000 -Dmingus.fleet.workers=10 -Dmingus.fleet.bouncer-workers=20}.
 */
class FleetTest {
  private static final String DATABASE = "mingus_fleet";
  private static final int USERS = 1_000;
  /** {@code mingus worker --concurrency}; unset: the command's default. */
  private static final String CONCURRENCY = System.getProperty("mingus.fleet.concurrency");
  private static final List<String> CONNECTION_ERRORS = List.of("too many clients", "FATAL", "Connection refused",
      "could not open a connection", "08001", "08006", "53300", " ERROR ");

  @TempDir
  Path dir;

  @Test
  void one_web_process_and_workers_drain_queued_sms_each_sent_once_on_postgresql() throws Exception {
    fleet(Integer.getInteger("mingus.fleet.workers", 3), false);
  }

  @Test
  void the_same_fleet_works_through_pgbouncer_in_transaction_pooling() throws Exception {
    fleet(Integer.getInteger("mingus.fleet.bouncer-workers", 3), true);
  }

  private void fleet(int workers, boolean throughBouncer) throws Exception {
    TestDb.requirePostgres();
    if (throughBouncer && PgBouncer.binary() == null && !"true".equalsIgnoreCase(System.getenv("CI"))) {
      org.junit.jupiter.api.Assumptions.abort("pgbouncer is not installed");
    }
    int sms = Integer.getInteger("mingus.fleet.sms", 2_000);
    String direct = databaseUrl(TestDb.postgresUrl(), DATABASE);
    recreateDatabase();
    fill(direct, sms);

    PgBouncer bouncer = !throughBouncer ? null : PgBouncer.start(new PgBouncer.Settings("127.0.0.1",
        SendsTarget.port(direct), DATABASE, TestDb.postgresUser(), 20));
    List<Process> processes = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    AtomicInteger peak = new AtomicInteger();
    java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
    AtomicBoolean sampling = new AtomicBoolean(true);
    // one connection of its own, opened before the fleet: a full server must not fail the watcher
    Connection watcher = DriverManager.getConnection(direct, TestDb.postgresUser(), TestDb.postgresPassword());
    Thread sampler = Thread.ofVirtual().start(() -> sample(watcher, peak, sent, sampling));
    long started = System.nanoTime();
    long drained;
    try {
      Map<String, String> env = new java.util.LinkedHashMap<>();
      env.put("MINGUS_PROFILE", "production");
      env.put("DATABASE_URL", bouncer == null ? direct : bouncer.jdbcUrl(DATABASE));
      env.put("DB_USER", TestDb.postgresUser());
      if (TestDb.postgresPassword() != null) {
        env.put("DB_PASSWORD", TestDb.postgresPassword());
      }
      if (bouncer != null) {
        env.put("DB_PGBOUNCER", "true");
        env.put("DATABASE_DIRECT_URL", direct);
      }
      env.put("MINGUS_ADMIN_TOKEN", "fleet-test-admin-token-0123456789abcdef");
      processes.add(start(env, "serve", logs, "serve", "--no-workers", "--port", "0"));
      for (int i = 1; i <= workers; i++) {
        processes.add(CONCURRENCY == null ? start(env, "worker-" + i, logs, "worker")
            : start(env, "worker-" + i, logs, "worker", "--concurrency", CONCURRENCY));
      }
      await().atMost(Duration.ofMinutes(15)).pollInterval(Duration.ofMillis(200)).until(() -> {
        for (int i = 0; i < processes.size(); i++) {
          assertThat(processes.get(i).isAlive()).as("process %s is alive: %s", logs.get(i), tail(logs.get(i)))
              .isTrue();
        }
        return sent.get() == sms;
      });
      drained = System.nanoTime() - started;
    } finally {
      sampling.set(false);
      sampler.join();
      watcher.close();
      for (Process p : processes) {
        p.toHandle().destroy();
      }
      for (Process p : processes) {
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
      if (bouncer != null) {
        bouncer.close();
      }
    }

    assertThat(count(direct, "SELECT count(*) FROM communication_metrics WHERE status <> 'sent'")).isZero();
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith("outbox-")).toList()) {
        lines.addAll(Files.readAllLines(f));
      }
    }
    Set<String> ids = new HashSet<>();
    for (String l : lines) {
      ids.add(l.replaceAll(".*\"communication_id\":(\\d+).*", "$1"));
    }
    assertThat(ids).as("SMS in the outboxes").hasSize(sms);
    assertThat(count(direct, "SELECT coalesce(sum(sms_count), 0) FROM user_engagement_metrics"))
        .as("sends counted in the database, each once").isEqualTo(sms);
    // External effects are at least once (README: exactly once and at least once): a send repeated
    // after a rescue carries the same idempotency key, which a provider dedupes. Reported, not hidden.
    int repeats = lines.size() - ids.size();
    for (Path log : logs) {
      String text = Files.readString(log);
      assertThat(CONNECTION_ERRORS).as("connection errors in %s:%n%s", log, text).noneMatch(text::contains);
    }
    double seconds = drained / 1e9;
    double sending = seconds(direct, "SELECT extract(epoch FROM max(sent_at) - min(sent_at)) FROM communication_metrics");
    System.out.printf(Locale.ROOT, "fleet%s: 1 serve --no-workers + %d workers (concurrency %s) drained %d SMS in"
        + " %.1f s from the first process start (%.0f SMS/s), %.1f s from the first send to the last (%.0f SMS/s);"
        + " peak %d connections to %s in pg_stat_activity; %d provider calls repeated with their idempotency key;"
        + " load %s%n",
        throughBouncer ? " through PgBouncer (default_pool_size 20)" : "", workers, CONCURRENCY == null ? "default 4"
        : CONCURRENCY, sms, seconds, sms / seconds, sending, sms / sending, peak.get(), DATABASE, repeats,
        Files.readString(Path.of("/proc/loadavg")).trim());
    assertThat(peak.get()).as("peak connections").isPositive().isLessThanOrEqualTo(100);
  }

  private Process start(Map<String, String> env, String name, List<Path> logs, String... args) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(List.of(java, "-Xmx384m", "-XX:+UseSerialGC", "-Dmingus.log.own=true",
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(List.of(args));
    Path log = logs(throughBouncerOf(env)).resolve(name + ".log");
    logs.add(log);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> e = pb.environment();
    e.keySet().removeIf(k -> k.startsWith("MINGUS_") || k.startsWith("DATABASE_") || k.contains("DB_")
        || k.startsWith("SMS_"));
    e.putAll(env);
    e.put("MINGUS_OUTBOX", dir.resolve("outbox-" + name + ".jsonl").toString());
    return pb.start();
  }

  /**
   * Every 100 ms, the connections PostgreSQL has to the fleet's database (the watcher's own one
   * less) and the SMS sent so far.
   */
  private static void sample(Connection c, AtomicInteger peak, java.util.concurrent.atomic.AtomicLong sent,
      AtomicBoolean sampling) {
    try (PreparedStatement activity = c.prepareStatement("SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = ?");
        PreparedStatement done = c.prepareStatement("SELECT count(*) FROM communication_metrics WHERE status = 'sent'")) {
      activity.setString(1, DATABASE);
      while (sampling.get()) {
        try (ResultSet rs = activity.executeQuery()) {
          rs.next();
          peak.accumulateAndGet(rs.getInt(1), Math::max);
        }
        try (ResultSet rs = done.executeQuery()) {
          rs.next();
          sent.set(rs.getLong(1));
        }
        Thread.sleep(100);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("sampling pg_stat_activity failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void recreateDatabase() throws SQLException {
    try (Connection c = DriverManager.getConnection(TestDb.postgresUrl(), TestDb.postgresUser(),
        TestDb.postgresPassword()); Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
      st.execute("CREATE DATABASE " + DATABASE);
    }
  }

  /** Migrates the fleet's database and queues {@code sms} SMS to {@link #USERS} users, 1,000 per batch. */
  private void fill(String url, int sms) throws Exception {
    DatabaseConfig config = DatabaseConfig.defaults(Profile.TESTING, url, TestDb.postgresUser(),
        TestDb.postgresPassword()).toBuilder().poolSize(PoolName.MAIN, 2, 0).echo(false).build();
    try (Database db = Database.builder(config).entities(CommunicationService.entities()).build()) {
      TaskQueue queue = TaskQueue.create(db);
      CommunicationService.migrate(db);
      CommunicationService comms = CommunicationService.create(db, queue, Providers.outbox(dir.resolve("fill.jsonl")));
      List<Long> users = new ArrayList<>();
      db.inTransaction(s -> {
        try (PreparedStatement u = s.connection().prepareStatement("INSERT INTO users (email, phone, timezone,"
            + " created_at) VALUES (?, ?, 'UTC', now())", new String[] {"id"})) {
          for (int i = 0; i < USERS; i++) {
            u.setString(1, "user" + i + "@fleet.example");
            u.setString(2, String.format(Locale.ROOT, "+1415%07d", i));
            u.addBatch();
          }
          u.executeBatch();
          try (ResultSet keys = u.getGeneratedKeys()) {
            while (keys.next()) {
              users.add(keys.getLong(1));
            }
          }
        }
        s.update("INSERT INTO communication_preferences (user_id, daily_limit, updated_at)"
            + " SELECT id, 1000000, now() FROM users");
        s.update("INSERT INTO user_engagement_metrics (user_id) SELECT id FROM users");
      });
      for (int from = 0; from < sms; from += CommunicationService.MAX_BATCH) {
        List<SendRequest> batch = new ArrayList<>();
        for (int i = from; i < Math.min(sms, from + CommunicationService.MAX_BATCH); i++) {
          batch.add(new SendRequest(users.get(i % users.size()), Channel.SMS, "Your code is " + (100000 + i), null,
              "otp", null));
        }
        comms.sendBatch(batch);
      }
    }
  }

  private static double seconds(String url, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, TestDb.postgresUser(), TestDb.postgresPassword());
        Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getDouble(1);
    }
  }

  private static long count(String url, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(url, TestDb.postgresUser(), TestDb.postgresPassword());
        Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (Exception e) {
      return "(no log: " + e + ")";
    }
  }

  private static boolean throughBouncerOf(Map<String, String> env) {
    return env.containsKey("DB_PGBOUNCER");
  }

  /** The processes' logs stay in target/ for a look after a failure. */
  private static Path logs(boolean throughBouncer) throws java.io.IOException {
    return Files.createDirectories(Path.of("target", throughBouncer ? "fleet-pgbouncer" : "fleet-direct"));
  }

  /** The URL with its database replaced. */
  static String databaseUrl(String url, String database) {
    int slash = url.indexOf('/', "jdbc:postgresql://".length());
    int query = url.indexOf('?', Math.max(slash, 0));
    return url.substring(0, slash + 1) + database + (query < 0 ? "" : url.substring(query));
  }

  /** Host and port of a pgjdbc URL. */
  static final class SendsTarget {
    static int port(String jdbcUrl) {
      String rest = jdbcUrl.substring("jdbc:postgresql://".length());
      String hostPort = rest.substring(0, rest.indexOf('/'));
      int colon = hostPort.lastIndexOf(':');
      return colon < 0 ? 5432 : Integer.parseInt(hostPort.substring(colon + 1));
    }
  }
}
