package io.mingus.bench;

import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue 4 item 8: POST /api/communications against a running {@code mingus serve} (workers on),
 * black box over HTTP: requests/s and latency p50/p99 at each concurrency, and communications
 * delivered (status {@code sent}, i.e. written to the outbox) per second end to end, read from the
 * server's database. Start the server first (see docs/BENCHMARKS.md).
 */
final class HttpBench {
  private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*(\\d+)");

  record Settings(String baseUrl, Target target, List<Integer> concurrency, Duration seconds, int users,
      Duration drainTimeout) {
    static Settings from(Args a) {
      return new Settings(a.string("base-url", "http://127.0.0.1:8080"), Target.from(a, "public"),
          a.integers("concurrency", "1,16,64"), a.seconds("seconds", 10), a.integer("users", 200),
          a.seconds("drain-timeout", 300));
    }
  }

  record Outcome(Map<Integer, double[]> perConcurrency) {}

  private HttpBench() {}

  static Outcome run(Settings s, PrintStream out) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    out.printf(Locale.ROOT, "HTTP benchmark against %s (database %s): concurrency %s, %.0f s each, %d users%n",
        s.baseUrl(), s.target(), s.concurrency(), s.seconds().toMillis() / 1000.0, s.users());
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
    Map<Integer, double[]> results = new LinkedHashMap<>();
    AtomicLong seq = new AtomicLong();
    // warm-up
    Load.run(Math.min(8, s.concurrency().getLast()), Duration.ofSeconds(3), 0, () -> post(http, s, users, run, seq));
    drain(s, out);
    for (int c : s.concurrency()) {
      long sentBefore = counts(s)[0];
      long start = System.nanoTime();
      Load.Result r = Load.run(c, s.seconds(), 0, true, () -> post(http, s, users, run, seq));
      if (r.errors() > 0) {
        throw new IllegalStateException("concurrency " + c + ": " + r.errors() + " requests failed; first: "
            + r.firstError(), r.firstError());
      }
      long[] atEnd = counts(s);
      double drainedNanos = drain(s, out);
      long sentAfter = counts(s)[0];
      double e2e = (sentAfter - sentBefore) * 1e9 / (System.nanoTime() - start);
      double[] v = {r.perSecond(), Load.quantile(r.latencies().clone(), 0.5) / 1e6,
          Load.quantile(r.latencies().clone(), 0.99) / 1e6, e2e, (atEnd[0] - sentBefore) * 1e9 / r.nanos(),
          drainedNanos / 1e9, r.ops()};
      results.put(c, v);
      out.printf(Locale.ROOT, "  concurrency %3d: %7.0f requests/s, p50 %.1f ms, p99 %.1f ms (%d requests); delivered"
          + " %.0f/s during the load, %.0f/s end to end (queue drained %.1f s after the load)%n", c, v[0], v[1], v[2],
          r.ops(), v[4], v[3], v[5]);
    }
    return new Outcome(results);
  }

  private static void post(HttpClient http, Settings s, List<Long> users, String run, AtomicLong seq) throws Exception {
    long user = users.get(ThreadLocalRandom.current().nextInt(users.size()));
    String body = "{\"user_id\":" + user + ",\"channel\":\"sms\",\"message\":\"bench message\",\"message_type\":"
        + "\"notification\",\"idempotency_key\":\"bench-" + run + "-" + seq.incrementAndGet() + "\"}";
    expect(send(http, "POST", s.baseUrl() + "/api/communications", body), 202, "POST /api/communications");
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
