package io.mingus.bench;

import io.mingus.comms.Channel;
import io.mingus.comms.CommunicationService;
import io.mingus.comms.Providers;
import io.mingus.comms.SendRequest;
import io.mingus.db.Database;
import io.mingus.db.DatabaseConfig;
import io.mingus.db.PoolName;
import io.mingus.tasks.TaskQueue;
import java.io.PrintStream;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Issue 9 item 5: a real {@code mingus worker} process (the shaded jar) drains N queued SMS on
 * PostgreSQL, (a) through the outbox provider and (b) through a local Twilio-style HTTP API
 * answering after 100 ms; in the same run, in-process log-communication tasks as a reference.
 * Variants alternate in rounds whose order rotates, so that the load other builds put on the
 * machine hits each alike.
 *
 * <p>Measured per drain: the steady rate (between 10 % and 90 % of the SMS done, from samples of
 * the database every 200 ms), the worker's CPU time per SMS over the same window, commits and
 * rollbacks per SMS over the whole drain ({@code pg_stat_database} of a database of the
 * benchmark's own, less the sampler's own transactions), and the most connections the worker's
 * pool held open and busy in any sample ({@code pg_stat_activity}). Optionally a diagnostic drain
 * through {@link RoundTrips} counts round trips per SMS, and JFR records a drain.
 */
final class SendsBench {
  static final String DATABASE = "mingus_bench_sends";
  static final String SCHEMA = "sends";

  record Settings(Target admin, String database, int sms, int users, int concurrency, int pool, List<String> providers,
      Duration latency, int rounds, int referenceTasks, Path jar, int roundTripSms, Path jfr, List<String> jvmArgs) {

    static Settings from(Args a) {
      List<String> providers = List.of(a.string("providers", "outbox,http").split(","));
      for (String p : providers) {
        if (!p.equals("outbox") && !p.equals("http")) {
          throw new IllegalArgumentException("--providers " + providers + " is not allowed: use outbox and/or http");
        }
      }
      String jfr = a.string("jfr", "");
      String jvm = a.string("worker-jvm-args", "");
      return new Settings(Target.from(a, SCHEMA), a.string("database", DATABASE), a.integer("sms", 50_000),
          a.integer("users", 10_000), a.integer("concurrency", 1000), a.integer("pool", 20), providers,
          Duration.ofMillis(a.integer("latency-ms", 100)), a.integer("rounds", 2), a.integer("reference-tasks", 20_000),
          Path.of(a.string("jar", "mingus-server/target/mingus.jar")), a.integer("round-trip-sms", 10_000),
          jfr.isBlank() ? null : Path.of(jfr), jvm.isBlank() ? List.of() : List.of(jvm.split(" ")));
    }
  }

  /** One drain's numbers. */
  record Drain(String provider, int sms, double steadyRate, double wallRate, double cpuMicrosPerSms,
      double backendCpuMicrosPerSms, double commitsPerSms, double rollbacksPerSms, int peakOpen, int peakBusy, String load) {}

  /** The run's numbers, for the report and the smoke test. */
  record Outcome(List<Drain> drains, Map<String, Double> roundTripsPerSms, List<Double> references) {}

  private final Settings s;
  private final PrintStream out;
  private final String url;
  private final Path work;

  private SendsBench(Settings s, PrintStream out) throws Exception {
    this.s = s;
    this.out = out;
    this.url = databaseUrl(s.admin().url(), s.database());
    this.work = Files.createTempDirectory("mingus-bench-sends");
  }

  static Outcome run(Settings s, PrintStream out) throws Exception {
    return new SendsBench(s, out).run();
  }

  /** The admin URL with its database replaced by {@code database}. */
  static String databaseUrl(String adminUrl, String database) {
    int slash = adminUrl.indexOf('/', "jdbc:postgresql://".length());
    int query = adminUrl.indexOf('?', Math.max(slash, 0));
    if (!adminUrl.startsWith("jdbc:postgresql://") || slash < 0) {
      throw new IllegalArgumentException("--url " + adminUrl + " is not allowed: the sends benchmark needs PostgreSQL"
          + " (jdbc:postgresql://host:port/db)");
    }
    return adminUrl.substring(0, slash + 1) + database + (query < 0 ? "" : adminUrl.substring(query));
  }

  private Connection raw(String jdbcUrl) throws SQLException {
    Properties p = new Properties();
    if (s.admin().user() != null) {
      p.setProperty("user", s.admin().user());
    }
    if (s.admin().password() != null) {
      p.setProperty("password", s.admin().password());
    }
    p.setProperty("ApplicationName", "mingus-bench");
    return DriverManager.getConnection(jdbcUrl, p);
  }

  private Outcome run() throws Exception {
    createDatabase();
    out.printf(Locale.ROOT, "sends benchmark: %d SMS to %d users per drain, concurrency %d, worker pool %d,"
        + " providers %s (HTTP latency %d ms), %d rounds, reference %d log-communication tasks; jar %s; load %s%n",
        s.sms(), s.users(), s.concurrency(), s.pool(), s.providers(), s.latency().toMillis(), s.rounds(),
        s.referenceTasks(), s.jar(), load());
    List<Drain> drains = new ArrayList<>();
    List<Double> references = new ArrayList<>();
    Map<String, Double> trips = new LinkedHashMap<>();
    DatabaseConfig config = Target.production(url, s.admin().user(), s.admin().password()).toBuilder().schema(SCHEMA)
        .poolSize(PoolName.MAIN, 4, 0).poolSize(PoolName.WORKER, 1, 0).poolSize(PoolName.ANALYTICS, 1, 0).build();
    try (Database db = Database.builder(config).entities(CommunicationService.entities()).build();
        SmsStub stub = new SmsStub(s.latency())) {
      TaskQueue queue = TaskQueue.create(db);
      CommunicationService.migrate(db);
      CommunicationService comms = CommunicationService.create(db, queue, Providers.outbox(work.resolve("fill.jsonl")));
      SendsFill fill = new SendsFill(db, comms, s.users());
      Reference reference = new Reference(s.admin(), url, s.referenceTasks());
      List<String> order = new ArrayList<>();
      order.add("reference");
      order.addAll(s.providers());
      for (int round = 1; round <= s.rounds(); round++) {
        for (String variant : order) {
          if (variant.equals("reference")) {
            double rate = reference.drain();
            references.add(rate);
            out.printf(Locale.ROOT, "  round %d: log-communication tasks %8.0f tasks/s (in-process worker,"
                + " concurrency 8; load %s)%n", round, rate, load());
          } else {
            Drain d = drain(fill, stub, variant, s.sms(), round, null);
            drains.add(d);
            out.printf(Locale.ROOT, "  round %d: %-6s %8.0f SMS/s steady (%6.0f wall), worker CPU %6.1f us/SMS,"
                + " its PostgreSQL backends' CPU %6.1f us/SMS,"
                + " %.3f commits/SMS, %.4f rollbacks/SMS, worker pool peak %d open / %d busy; load %s%n", round,
                d.provider(), d.steadyRate(), d.wallRate(), d.cpuMicrosPerSms(), d.backendCpuMicrosPerSms(),
                d.commitsPerSms(),
                d.rollbacksPerSms(), d.peakOpen(), d.peakBusy(), d.load());
          }
        }
        order.addLast(order.removeFirst());
      }
      if (s.roundTripSms() > 0) {
        for (String provider : s.providers()) {
          try (RoundTrips proxy = new RoundTrips(host(url), port(url))) {
            Drain d = drain(fill, stub, provider, s.roundTripSms(), 0, proxy);
            double perSms = (double) proxy.trips() / s.roundTripSms();
            trips.put(provider, perSms);
            out.printf(Locale.ROOT, "  round trips (diagnostic drain of %d SMS through a counting proxy): %-6s %.3f per"
                + " SMS, worker start included (%d in all; %.0f SMS/s through the proxy)%n", s.roundTripSms(),
                provider, perSms, proxy.trips(), d.steadyRate());
          }
        }
      }
    }
    summary(drains, references, trips);
    return new Outcome(drains, trips, references);
  }

  private Drain drain(SendsFill fill, SmsStub stub, String provider, int n, int round, RoundTrips proxy)
      throws Exception {
    fill.reset();
    fill.fill(n);
    stub.reset();
    Path outbox = work.resolve("outbox-" + provider + "-" + round + ".jsonl");
    Files.deleteIfExists(outbox);
    Map<String, String> env = new LinkedHashMap<>();
    env.put("MINGUS_PROFILE", "production");
    env.put("DATABASE_URL", proxy == null ? url : url.replace(host(url) + ":" + port(url), "127.0.0.1:" + proxy.port()));
    if (s.admin().user() != null) {
      env.put("DB_USER", s.admin().user());
    }
    if (s.admin().password() != null) {
      env.put("DB_PASSWORD", s.admin().password());
    }
    env.put("DB_SCHEMA", SCHEMA);
    env.put("WORKER_DB_POOL_SIZE", Integer.toString(s.pool()));
    env.put("WORKER_DB_MAX_OVERFLOW", "0");
    env.put("DB_POOL_SIZE", "2");
    env.put("DB_MAX_OVERFLOW", "0");
    env.put("MINGUS_OUTBOX", outbox.toString());
    if (provider.equals("http")) {
      env.put("SMS_API_URL", stub.baseUrl());
      env.put("SMS_ACCOUNT_SID", "ACbench");
      env.put("SMS_AUTH_TOKEN", "bench-token-not-a-secret");
      env.put("SMS_FROM", "+15005550006");
    }
    List<String> jvm = new ArrayList<>(s.jvmArgs());
    if (s.jfr() != null && round == 1) {
      Files.createDirectories(s.jfr());
      jvm.add("-XX:StartFlightRecording=filename=" + s.jfr().resolve("worker-" + provider + ".jfr") + ",settings=profile");
    }
    // An idle backend flushes its statistics within 10 s: wait, so that the fill's transactions are
    // counted before the drain's first reading, not in it.
    Thread.sleep(11_000);
    String load = load();
    Sampler sampler = new Sampler(this::raw, url, n);
    long[] before = sampler.transactions();
    Path log = work.resolve("worker-" + provider + "-" + round + ".log");
    try (WorkerProcess worker = WorkerProcess.start(s.jar(), s.concurrency(), env, jvm, log)) {
      sampler.run(worker, Duration.ofMinutes(30));
    }
    long[] after = sampler.transactionsAfterExit();
    long commits = after[0] - before[0] - sampler.ownTransactions();
    long done = fill.count("SELECT count(*) FROM communication_metrics WHERE status = 'sent'");
    if (done != n) {
      throw new IllegalStateException(provider + " drain: " + done + " of " + n + " SMS sent; see " + log);
    }
    if (provider.equals("outbox") && Files.lines(outbox).count() != n) {
      throw new IllegalStateException("outbox drain: the outbox holds " + Files.lines(outbox).count() + " lines for "
          + n + " SMS");
    }
    if (provider.equals("http") && stub.distinctKeys() != n) {
      throw new IllegalStateException("http drain: the API saw " + stub.distinctKeys() + " distinct keys for " + n);
    }
    return new Drain(provider, n, sampler.steadyRate(), sampler.wallRate(), sampler.cpuMicrosPerSms(),
        sampler.backendCpuMicrosPerSms(), (double) commits / n, (double) (after[1] - before[1]) / n, sampler.peakOpen(), sampler.peakBusy(), load);
  }

  private void createDatabase() throws SQLException {
    try (Connection c = raw(s.admin().url()); Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + s.database() + "'")) {
        if (rs.next()) {
          return;
        }
      }
      st.execute("CREATE DATABASE " + s.database());
    }
  }

  private void summary(List<Drain> drains, List<Double> references, Map<String, Double> trips) {
    double ref = references.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    out.printf(Locale.ROOT, "summary (means of %d rounds): log-communication reference %.0f tasks/s%n", s.rounds(), ref);
    for (String p : s.providers()) {
      List<Drain> ds = drains.stream().filter(d -> d.provider().equals(p)).toList();
      double rate = ds.stream().mapToDouble(Drain::steadyRate).average().orElse(Double.NaN);
      out.printf(Locale.ROOT, "  %-6s %8.0f SMS/s steady (%.2fx the reference), %.1f us worker CPU/SMS, %.1f us"
          + " PostgreSQL backend CPU/SMS, %.3f commits/SMS, peak %d connections%s%n", p, rate, rate / ref,
          ds.stream().mapToDouble(Drain::cpuMicrosPerSms).average().orElse(Double.NaN),
          ds.stream().mapToDouble(Drain::backendCpuMicrosPerSms).average().orElse(Double.NaN), ds.stream().mapToDouble(Drain::commitsPerSms).average().orElse(Double.NaN),
          ds.stream().mapToInt(Drain::peakOpen).max().orElse(0),
          trips.containsKey(p) ? String.format(Locale.ROOT, ", %.3f round trips/SMS", trips.get(p)) : "");
    }
  }

  static String host(String jdbcUrl) {
    String rest = jdbcUrl.substring("jdbc:postgresql://".length());
    String hostPort = rest.substring(0, rest.indexOf('/'));
    int colon = hostPort.lastIndexOf(':');
    return colon < 0 ? hostPort : hostPort.substring(0, colon);
  }

  static int port(String jdbcUrl) {
    String rest = jdbcUrl.substring("jdbc:postgresql://".length());
    String hostPort = rest.substring(0, rest.indexOf('/'));
    int colon = hostPort.lastIndexOf(':');
    return colon < 0 ? 5432 : Integer.parseInt(hostPort.substring(colon + 1));
  }

  /** The machine's load averages, as {@code uptime} prints them. */
  static String load() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (Exception e) {
      return "unknown";
    }
  }

  /** What fills the benchmark's schema: users with a daily limit no drain reaches, and queued SMS. */
  static final class SendsFill {
    private final Database db;
    private final CommunicationService comms;
    private final int users;
    private final List<Long> ids = new ArrayList<>();

    SendsFill(Database db, CommunicationService comms, int users) {
      this.db = db;
      this.comms = comms;
      this.users = users;
    }

    void reset() throws SQLException {
      db.inTransaction(s -> s.update("TRUNCATE mingus_tasks, daily_send_counts, user_engagement_metrics,"
          + " communication_metrics, communication_preferences, users RESTART IDENTITY"));
      ids.clear();
      String[] zones = {"UTC", "Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney"};
      db.inTransaction(s -> {
        Connection c = s.connection();
        try (PreparedStatement u = c.prepareStatement("INSERT INTO users (email, phone, timezone, created_at)"
            + " VALUES (?, ?, ?, now())", new String[] {"id"})) {
          for (int i = 0; i < users; i++) {
            u.setString(1, "user" + i + "@bench.example");
            u.setString(2, String.format(Locale.ROOT, "+1415%07d", i));
            u.setString(3, zones[i % zones.length]);
            u.addBatch();
          }
          u.executeBatch();
          try (ResultSet keys = u.getGeneratedKeys()) {
            while (keys.next()) {
              ids.add(keys.getLong(1));
            }
          }
        }
        try (PreparedStatement p = c.prepareStatement("INSERT INTO communication_preferences (user_id, daily_limit,"
            + " updated_at) VALUES (?, 1000000, now())");
            PreparedStatement e = c.prepareStatement("INSERT INTO user_engagement_metrics (user_id) VALUES (?)")) {
          for (long id : ids) {
            p.setLong(1, id);
            p.addBatch();
            e.setLong(1, id);
            e.addBatch();
          }
          p.executeBatch();
          e.executeBatch();
        }
      });
    }

    /** Queues {@code n} SMS to the users in turn, through the service's batch API (1,000 per transaction). */
    void fill(int n) {
      for (int from = 0; from < n; from += CommunicationService.MAX_BATCH) {
        List<SendRequest> batch = new ArrayList<>();
        for (int i = from; i < Math.min(n, from + CommunicationService.MAX_BATCH); i++) {
          batch.add(new SendRequest(ids.get(i % ids.size()), Channel.SMS, "Your code is " + (100000 + i), null, "otp",
              null));
        }
        comms.sendBatch(batch);
      }
      db.inTransaction(s -> s.update("ANALYZE"));
    }

    long count(String sql) {
      return db.fromTransaction(s -> s.queryOne(sql, rs -> rs.getLong(1)).orElseThrow());
    }
  }
}
