package io.mingus.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * POST /api/communications against a running {@code mingus serve}, black box over HTTP:
 * requests/s and latency p50/p99 at each concurrency. With deliveries on (issue 4 item 8: the
 * server runs its workers) it also reports communications delivered (status {@code sent}, i.e.
 * written to the outbox) per second end to end, read from the server's database; with
 * {@code --deliveries false} (issue 14: {@code mingus serve --no-workers}) it counts accepted
 * requests only and never waits for a delivery.
 *
 * <p>In the same run it measures the floor (issue 14 item 3): the same transaction on plain JDBC
 * over a Hikari pool of the server's size, in the server's tables: insert the communication and
 * insert its send task (both idempotent, {@code ON CONFLICT DO NOTHING}, as the server's are),
 * commit; at each of {@code --floor-threads}, before and after the HTTP phases (their mean is the
 * floor). Floor rows carry their own idempotency keys and a queue no worker serves, and are
 * deleted at the end. Start the server first (see docs/BENCHMARKS.md).
 */
final class HttpBench {
  private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*(\\d+)");
  static final String FLOOR_QUEUE = "bench-floor";
  private static final String FLOOR_COMMUNICATION = "INSERT INTO communication_metrics (user_id, channel, message_type,"
      + " status, subject, message, idempotency_key, created_at) VALUES (?, 'sms', 'notification', 'queued', NULL,"
      + " 'bench message', ?, ?) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id";
  private static final String FLOOR_TASK = "INSERT INTO mingus_tasks (queue, name, payload, priority, state, attempt,"
      + " max_attempts, timeout_ms, run_at, unique_key, created_at) VALUES ('" + FLOOR_QUEUE + "', 'comms.send-sms',"
      + " CAST(? AS jsonb), 0, 'queued', 0, 5, 300000, ?, ?, ?) ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL"
      + " DO NOTHING RETURNING id";

  /**
   * The send as the server makes it since the third pass, on plain JDBC: the communication and its
   * task written by one statement in auto-commit ({@code %s}: the task table's sequence, looked up
   * once).
   */
  private static final String FLOOR_ONE_STATEMENT = "WITH new_task AS (SELECT nextval('%s'::regclass) AS id),"
      + " caller_row AS (INSERT INTO communication_metrics (user_id, channel, message_type, status, subject, message,"
      + " idempotency_key, created_at, task_id) SELECT u.id, 'sms', 'notification', 'queued', NULL, 'bench message', ?,"
      + " ?, new_task.id FROM new_task, users u WHERE u.id = ? AND u.phone IS NOT NULL"
      + " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id),"
      + " task AS (INSERT INTO mingus_tasks (id, queue, name, payload, priority, state, attempt, max_attempts,"
      + " timeout_ms, run_at, unique_key, created_at) SELECT new_task.id, '" + FLOOR_QUEUE + "', 'comms.send-sms',"
      + " jsonb_build_object('communicationId', caller_row.id), 0, 'queued', 0, 5, 300000, ?, 'comm:' || caller_row.id,"
      + " ? FROM new_task, caller_row RETURNING id) SELECT id FROM task";

  record Settings(String baseUrl, Target target, List<Integer> concurrency, Duration seconds, int users,
      Duration drainTimeout, boolean deliveries, boolean floor, List<Integer> floorThreads, int serverPool,
      Duration floorSeconds, String client, String compareUrl, int batchSize, List<Integer> batchConcurrency,
      Duration warmup) {
    static Settings from(Args a) {
      String client = a.string("client", "raw");
      if (!client.equals("raw") && !client.equals("jdk")) {
        throw new IllegalArgumentException("--client " + client + " is not allowed: use raw (a minimal keep-alive"
            + " HTTP/1.1 client per load thread) or jdk (java.net.http.HttpClient)");
      }
      return new Settings(a.string("base-url", "http://127.0.0.1:8080"), Target.from(a, "public"),
          a.integers("concurrency", "1,16,64"), a.seconds("seconds", 10), a.integer("users", 200),
          a.seconds("drain-timeout", 300), a.flag("deliveries", true), a.flag("floor", true),
          a.integers("floor-threads", "8,64"), a.integer("server-pool", 20), a.seconds("floor-seconds", 5), client,
          a.string("compare-url", ""), a.integer("batch-size", 1000),
          a.string("batch-concurrency", "").isBlank() ? List.of() : a.integers("batch-concurrency", "1"),
          a.seconds("warmup-seconds", 15));
    }
  }

  /**
   * The numbers of one run: per server and concurrency {requests/s, p50 ms, p99 ms, requests,
   * concurrency, ...}; per floor thread
   * count {transactions/s, p50 ms, p99 ms} (mean of before and after).
   */
  record Outcome(Map<String, double[]> perServerAndConcurrency, Map<Integer, double[]> floor) {}

  /**
   * A plain-JDBC floor: its label, its operation, and its sums of {tx/s, p50 ms, p99 ms} per thread
   * count over the runs before and after the HTTP load.
   */
  private record Floor(String label, Load.Op op, Map<Integer, double[]> sums) {}

  private HttpBench() {}

  static Outcome run(Settings s, PrintStream out) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    out.printf(Locale.ROOT, "HTTP benchmark against %s (database %s): concurrency %s, %.0f s each, %d users, %s client,"
        + " deliveries %s; floor %s at %s threads over a pool of %d; load average %s%n",
        s.baseUrl(), s.target(), s.concurrency(), s.seconds().toMillis() / 1000.0, s.users(), s.client(),
        s.deliveries() ? "waited for" : "not waited for (server without workers)", s.floor() ? "on" : "off",
        s.floorThreads(), s.serverPool(), loadAverage());
    List<Long> users = new ArrayList<>();
    String run = UUID.randomUUID().toString().substring(0, 8);
    for (int i = 0; i < s.users(); i++) {
      String body = "{\"email\":\"bench-" + run + "-" + i + "@example.com\",\"phone\":\"+1555" + String.format(Locale.ROOT,
          "%07d", ThreadLocalRandom.current().nextInt(10_000_000)) + "\",\"timezone\":\"UTC\"}";
      HttpResponse<String> r = send(http, "POST", s.baseUrl() + "/api/users", body);
      expect(r, 201, "POST /api/users");
      Matcher m = ID.matcher(r.body());
      if (!m.find()) {
        throw new IllegalStateException("POST /api/users answered without an id: " + r.body());
      }
      long id = Long.parseLong(m.group(1));
      expect(send(http, "PUT", s.baseUrl() + "/api/users/" + id + "/preferences", "{\"daily_limit\":10000}"), 200,
          "PUT /api/users/" + id + "/preferences");
      users.add(id);
    }
    Map<String, double[]> results = new LinkedHashMap<>();
    Map<Integer, double[]> floor = new LinkedHashMap<>();
    Map<String, double[]> batches = new LinkedHashMap<>();
    List<Floor> floorOutcome = List.of();
    AtomicLong seq = new AtomicLong();
    List<RawHttp> clients = new CopyOnWriteArrayList<>();
    // the server under test, and the one it is compared with (--compare-url), alternated
    Map<String, Load.Op> servers = new LinkedHashMap<>();
    for (String url : s.compareUrl().isEmpty() ? List.of(s.baseUrl()) : List.of(s.baseUrl(), s.compareUrl())) {
      ThreadLocal<RawHttp> raw = ThreadLocal.withInitial(() -> {
        RawHttp c = new RawHttp(URI.create(url));
        clients.add(c);
        return c;
      });
      servers.put(url, s.client().equals("raw") ? () -> postRaw(raw.get(), users, run, seq)
          : () -> post(http, url, users, run, seq));
    }
    try (HikariDataSource pool = s.floor() ? floorPool(s, false) : null;
        HikariDataSource autoCommitPool = s.floor() ? floorPool(s, true) : null) {
      List<Floor> floors = new ArrayList<>();
      if (pool != null) {
        floors.add(new Floor("", () -> floorTransaction(pool, users, run, seq), floor));
        floors.add(new Floor(" (one statement, fair)", oneStatementFloor(autoCommitPool, s.serverPool(), users, run, seq),
            new LinkedHashMap<>()));
      }
      // Warm-up of every path: a server just started spends a third of its CPU compiling (C2) for
      // tens of seconds; a server in production has long finished.
      for (Load.Op post : servers.values()) {
        Load.run(Math.min(16, s.concurrency().getLast()), s.warmup(), 0, post);
      }
      for (Floor f : floors) {
        Load.run(8, Duration.ofSeconds(2), 0, f.op());
        floor(s, f, out, "before");
      }
      if (s.deliveries()) {
        drain(s, out);
      }
      List<String> order = new ArrayList<>(servers.keySet());
      for (int c : s.concurrency()) {
        for (String url : order) {
          String label = (servers.size() > 1 ? url + " " : "") + "concurrency " + c;
          long sentBefore = s.deliveries() ? counts(s)[0] : 0;
          long start = System.nanoTime();
          Load.Result r = Load.run(c, s.seconds(), 0, true, servers.get(url));
          if (r.errors() > 0) {
            throw new IllegalStateException(label + ": " + r.errors() + " requests failed; first: "
                + r.firstError(), r.firstError());
          }
          double p50 = Load.quantile(r.latencies().clone(), 0.5) / 1e6;
          double p99 = Load.quantile(r.latencies().clone(), 0.99) / 1e6;
          if (!s.deliveries()) {
            results.put(label, new double[] {r.perSecond(), p50, p99, r.ops(), c});
            out.printf(Locale.ROOT, "  %s: %7.0f requests/s, p50 %.2f ms, p99 %.2f ms (%d requests accepted)%n",
                label, r.perSecond(), p50, p99, r.ops());
            continue;
          }
          long[] atEnd = counts(s);
          double drainedNanos = drain(s, out);
          long sentAfter = counts(s)[0];
          double e2e = (sentAfter - sentBefore) * 1e9 / (System.nanoTime() - start);
          double[] v = {r.perSecond(), p50, p99, r.ops(), c, e2e, (atEnd[0] - sentBefore) * 1e9 / r.nanos(),
              drainedNanos / 1e9};
          results.put(label, v);
          out.printf(Locale.ROOT, "  %s: %7.0f requests/s, p50 %.1f ms, p99 %.1f ms (%d requests); delivered"
              + " %.0f/s during the load, %.0f/s end to end (queue drained %.1f s after the load)%n", label, v[0],
              v[1], v[2], r.ops(), v[6], v[5], v[7]);
        }
        order.addLast(order.removeFirst());
      }
      for (int c : s.batchConcurrency()) {
        for (String url : order) {
          ThreadLocal<RawHttp> raw = ThreadLocal.withInitial(() -> {
            RawHttp client = new RawHttp(URI.create(url));
            clients.add(client);
            return client;
          });
          String label = (servers.size() > 1 ? url + " " : "") + "batches of " + s.batchSize() + ", concurrency " + c;
          Load.Result r = Load.run(c, s.seconds(), 0, true, () -> postBatch(raw.get(), s.batchSize(), users, run, seq));
          if (r.errors() > 0) {
            throw new IllegalStateException(label + ": " + r.errors() + " requests failed; first: " + r.firstError(),
                r.firstError());
          }
          double[] v = {r.perSecond() * s.batchSize(), Load.quantile(r.latencies().clone(), 0.5) / 1e6,
              Load.quantile(r.latencies().clone(), 0.99) / 1e6, r.ops(), c};
          batches.put(label, v);
          out.printf(Locale.ROOT, "  %s: %7.0f communications/s accepted, p50 %.1f ms, p99 %.1f ms per batch"
              + " (%d batches)%n", label, v[0], v[1], v[2], r.ops());
        }
        order.addLast(order.removeFirst());
      }
      for (Floor f : floors) {
        floor(s, f, out, "after");
        f.sums().replaceAll((t, v) -> new double[] {v[0] / 2, v[1] / 2, v[2] / 2});
      }
      if (pool != null) {
        deleteFloorRows(pool, run);
      }
      floorOutcome = floors;
    } finally {
      clients.forEach(RawHttp::close);
    }
    out.printf(Locale.ROOT, "results (load average %s):%n", loadAverage());
    results.forEach((label, v) -> out.printf(Locale.ROOT, "  HTTP %s: %7.0f requests/s, p50 %6.2f ms,"
        + " p99 %6.2f ms%n", label, v[0], v[1], v[2]));
    batches.forEach((label, v) -> out.printf(Locale.ROOT, "  HTTP %s: %7.0f communications/s accepted, p50 %.1f ms,"
        + " p99 %.1f ms per batch%n", label, v[0], v[1], v[2]));
    for (Floor f : floorOutcome) {
      f.sums().forEach((t, v) -> out.printf(Locale.ROOT, "  floor%s %3d threads:    %7.0f transactions/s, p50 %6.2f ms,"
          + " p99 %6.2f ms (plain JDBC, pool of %d, mean of before and after)%n", f.label(), t, v[0], v[1], v[2],
          s.serverPool()));
    }
    for (var e : results.entrySet()) {
      for (var f : floor.entrySet()) {
        if (f.getKey() == (int) e.getValue()[4] || f.getKey() == s.floorThreads().getFirst()) {
          out.printf(Locale.ROOT, "  ratio HTTP %s / floor %d threads: %.3f%n", e.getKey(), f.getKey(),
              e.getValue()[0] / f.getValue()[0]);
        }
      }
    }
    for (Floor f : floorOutcome.subList(Math.min(1, floorOutcome.size()), floorOutcome.size())) {
      for (var e : results.entrySet()) {
        double[] v = f.sums().get((int) e.getValue()[4]);
        if (v != null) {
          out.printf(Locale.ROOT, "  p99 HTTP %s / floor%s %d threads: %.2f ms / %.2f ms%n", e.getKey(), f.label(),
              (int) e.getValue()[4], e.getValue()[2], v[2]);
        }
      }
    }
    return new Outcome(results, floor);
  }

  private static HikariDataSource floorPool(Settings s, boolean autoCommit) {
    HikariConfig h = new HikariConfig();
    h.setPoolName(autoCommit ? "bench-floor-auto-commit" : "bench-floor");
    h.setJdbcUrl(s.target().url());
    h.setUsername(s.target().user());
    h.setPassword(s.target().password());
    h.setMaximumPoolSize(s.serverPool());
    h.setMinimumIdle(s.serverPool());
    h.setAutoCommit(autoCommit);
    h.setSchema(s.target().schema());
    return new HikariDataSource(h);
  }

  /** The floor {@code f} at each thread count; adds {tx/s, p50 ms, p99 ms} to its sums. */
  private static void floor(Settings s, Floor f, PrintStream out, String when) throws Exception {
    for (int threads : s.floorThreads()) {
      Load.Result r = Load.run(threads, s.floorSeconds(), 0, true, f.op());
      if (r.errors() > 0) {
        throw new IllegalStateException("floor" + f.label() + " at " + threads + " threads: " + r.errors()
            + " transactions failed; first: " + r.firstError(), r.firstError());
      }
      double[] v = {r.perSecond(), Load.quantile(r.latencies().clone(), 0.5) / 1e6,
          Load.quantile(r.latencies().clone(), 0.99) / 1e6};
      f.sums().merge(threads, v, (a, b) -> new double[] {a[0] + b[0], a[1] + b[1], a[2] + b[2]});
      out.printf(Locale.ROOT, "  floor%s %s, %2d threads: %7.0f transactions/s, p50 %.2f ms, p99 %.2f ms%n", f.label(),
          when, threads, v[0], v[1], v[2]);
    }
  }

  /**
   * The one-statement send on an auto-commit pool, with connections lent first come, first served
   * by a fair semaphore of the pool's size, as the server's gate lends them: the best p99 the
   * database gives on this machine for what the server does, without HTTP.
   */
  private static Load.Op oneStatementFloor(DataSource pool, int size, List<Long> users, String run, AtomicLong seq)
      throws SQLException {
    String sql;
    try (Connection c = pool.getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_get_serial_sequence('mingus_tasks', 'id')")) {
      rs.next();
      sql = String.format(Locale.ROOT, FLOOR_ONE_STATEMENT, rs.getString(1).replace("'", "''"));
    }
    Semaphore turns = new Semaphore(size, true);
    return () -> {
      long user = users.get(ThreadLocalRandom.current().nextInt(users.size()));
      OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
      if (!turns.tryAcquire(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("no connection turn within 30 s");
      }
      try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setString(1, "floor-" + run + "-" + seq.incrementAndGet());
        ps.setObject(2, now);
        ps.setLong(3, user);
        ps.setObject(4, now);
        ps.setObject(5, now);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw new IllegalStateException("the one-statement floor inserted nothing for user " + user);
          }
        }
      } finally {
        turns.release();
      }
    };
  }

  /** Insert communication + insert task, commit: the server's transaction on plain JDBC. */
  static void floorTransaction(DataSource pool, List<Long> users, String run, AtomicLong seq) throws SQLException {
    long user = users.get(ThreadLocalRandom.current().nextInt(users.size()));
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    try (Connection c = pool.getConnection()) {
      try {
        long id;
        try (PreparedStatement ps = c.prepareStatement(FLOOR_COMMUNICATION)) {
          ps.setLong(1, user);
          ps.setString(2, "floor-" + run + "-" + seq.incrementAndGet());
          ps.setObject(3, now);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            id = rs.getLong(1);
          }
        }
        try (PreparedStatement ps = c.prepareStatement(FLOOR_TASK)) {
          ps.setString(1, "{\"communicationId\":" + id + "}");
          ps.setObject(2, now);
          ps.setString(3, "comm:" + id);
          ps.setObject(4, now);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
          }
        }
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private static void deleteFloorRows(DataSource pool, String run) throws SQLException {
    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
      st.executeUpdate("DELETE FROM mingus_tasks WHERE queue = '" + FLOOR_QUEUE + "'");
      st.executeUpdate("DELETE FROM communication_metrics WHERE idempotency_key LIKE 'floor-" + run + "-%'");
      c.commit();
    }
  }

  static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private static void postRaw(RawHttp http, List<Long> users, String run, AtomicLong seq) throws Exception {
    RawHttp.Response r = http.send("POST", "/api/communications", sendBody(users, run, seq));
    if (r.status() != 202) {
      throw new IllegalStateException("POST /api/communications answered " + r.status() + " instead of 202: "
          + r.body().substring(0, Math.min(300, r.body().length())));
    }
  }

  /** {@code POST /api/communications/batch} of {@code size} SMS to random users, each with a fresh key. */
  private static void postBatch(RawHttp http, int size, List<Long> users, String run, AtomicLong seq)
      throws Exception {
    StringBuilder body = new StringBuilder(size * 140).append("{\"communications\":[");
    for (int i = 0; i < size; i++) {
      String one = sendBody(users, run, seq);
      body.append(i == 0 ? "" : ",").append(one);
    }
    RawHttp.Response r = http.send("POST", "/api/communications/batch", body.append("]}").toString());
    if (r.status() != 202) {
      throw new IllegalStateException("POST /api/communications/batch answered " + r.status() + " instead of 202: "
          + r.body().substring(0, Math.min(300, r.body().length())));
    }
  }

  private static String sendBody(List<Long> users, String run, AtomicLong seq) {
    long user = users.get(ThreadLocalRandom.current().nextInt(users.size()));
    return "{\"user_id\":" + user + ",\"channel\":\"sms\",\"message\":\"bench message\",\"message_type\":"
        + "\"notification\",\"idempotency_key\":\"bench-" + run + "-" + seq.incrementAndGet() + "\"}";
  }

  private static void post(HttpClient http, String baseUrl, List<Long> users, String run, AtomicLong seq)
      throws Exception {
    String body = sendBody(users, run, seq);
    expect(send(http, "POST", baseUrl + "/api/communications", body), 202, "POST /api/communications");
  }

  private static HttpResponse<String> send(HttpClient http, String method, String url, String body) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(body)).build();
    return http.send(req, HttpResponse.BodyHandlers.ofString());
  }

  private static void expect(HttpResponse<String> r, int status, String what) {
    if (r.statusCode() != status) {
      throw new IllegalStateException(what + " answered " + r.statusCode() + " instead of " + status + ": "
          + r.body().substring(0, Math.min(300, r.body().length())));
    }
  }

  /** communication_metrics: sent, queued. */
  private static long[] counts(Settings s) throws SQLException {
    try (Connection c = DriverManager.getConnection(s.target().url(), s.target().user(), s.target().password());
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status"
            + " = 'queued') FROM " + s.target().schema() + ".communication_metrics")) {
      rs.next();
      return new long[] {rs.getLong(1), rs.getLong(2)};
    }
  }

  /** Waits until no communication is queued; returns how long that took. */
  private static double drain(Settings s, PrintStream out) throws Exception {
    long start = System.nanoTime();
    while (counts(s)[1] > 0) {
      if (System.nanoTime() - start > s.drainTimeout().toNanos()) {
        throw new IllegalStateException("communications still queued " + s.drainTimeout().toSeconds()
            + " s after the load: are the server's workers running?");
      }
      Thread.sleep(50);
    }
    return System.nanoTime() - start;
  }
}
