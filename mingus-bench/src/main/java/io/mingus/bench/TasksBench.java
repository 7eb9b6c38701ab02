package io.mingus.bench;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.mingus.bench.LogCommunication.LogUser;
import io.mingus.db.Database;
import io.mingus.db.DatabaseConfig;
import io.mingus.db.PoolName;
import io.mingus.tasks.Task;
import io.mingus.tasks.TaskContext;
import io.mingus.tasks.TaskOptions;
import io.mingus.tasks.TaskQueue;
import io.mingus.tasks.Worker;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * Issue 3 item 9: one worker process on PostgreSQL. No-op tasks/s and "log communication" tasks/s
 * drained from a pre-filled queue; the enqueue rate, one task per transaction and in batches;
 * enqueue-to-start latency on an idle worker; and, in the same run, the same no-op work on
 * db-scheduler with its lock-and-fetch polling, alternated with Mingus's so noise hits both.
 *
 * <p>Both systems get the same number of executor threads ({@code --concurrency}), a Hikari pool
 * of the same size on the same database, and the same poll interval (1 s); both are fed by their
 * own batch API before the clock starts. The clock stops when the database says the last task is
 * finished (Mingus: no queued or running row; db-scheduler: its one-time executions deleted).
 */
final class TasksBench {

  static final String SCHEMA = "mingus_bench_tasks";

  /** What to run. */
  record Settings(Target target, int tasks, int concurrency, int rounds, Duration enqueueSeconds, int batch,
      Duration plainSeconds, int latencySamples, int users, Set<String> phases, Set<String> systems) {

    static final List<String> PHASES = List.of("enqueue", "notify", "noop", "logcomm", "latency");
    static final List<String> SYSTEMS = List.of("mingus", "db-scheduler");

    static Settings from(Args a) {
      Set<String> phases = Set.of(a.string("phases", String.join(",", PHASES)).split(","));
      Set<String> systems = Set.of(a.string("systems", String.join(",", SYSTEMS)).split(","));
      if (!PHASES.containsAll(phases)) {
        throw new IllegalArgumentException("--phases " + phases + " is not allowed: use some of " + PHASES);
      }
      if (!SYSTEMS.containsAll(systems)) {
        throw new IllegalArgumentException("--systems " + systems + " is not allowed: use some of " + SYSTEMS);
      }
      return new Settings(Target.from(a, SCHEMA), a.integer("tasks", 100_000), a.integer("concurrency", 8),
          a.integer("rounds", 2), a.seconds("enqueue-seconds", 5), a.integer("batch", 100),
          a.seconds("plain-seconds", 10), a.integer("latency-samples", 200), a.integer("users", 1000), phases,
          systems);
    }
  }

  /** The numbers of one run, for the report and the smoke test. */
  record Outcome(Map<String, Double> rates, Map<String, long[]> latenciesNanos) {}

  /** A no-op task's payload. */
  public record Noop(int n) {}


  /** A latency probe's payload. */
  public record Probe(long seq) {}

  private final Settings s;
  private final PrintStream out;
  private final Map<String, Double> rates = new LinkedHashMap<>();
  private final Map<String, long[]> latencies = new LinkedHashMap<>();
  private final AtomicLong noopRuns = new AtomicLong();
  private final AtomicLong dbsRuns = new AtomicLong();
  private final AtomicLong logRuns = new AtomicLong();
  private final Map<Long, Long> probeCommitStart = new ConcurrentHashMap<>();
  private final Map<Long, Long> probeCommitEnd = new ConcurrentHashMap<>();
  private final Map<Long, CompletableFuture<long[]>> probeStarted = new ConcurrentHashMap<>();
  private final LogCommunication logWork;

  private final Task<Noop> noop = new Task<>() {
    @Override
    public String name() {
      return "bench.noop";
    }

    @Override
    public Class<Noop> payloadType() {
      return Noop.class;
    }

    @Override
    public void run(TaskContext ctx, Noop payload) {
      noopRuns.incrementAndGet();
    }
  };

  private final Task<LogUser> logCommunication = LogCommunication.task(logRuns::incrementAndGet);

  private final Task<Probe> probe = new Task<>() {
    @Override
    public String name() {
      return "bench.probe";
    }

    @Override
    public Class<Probe> payloadType() {
      return Probe.class;
    }

    @Override
    public void run(TaskContext ctx, Probe p) {
      long now = System.nanoTime();
      CompletableFuture<long[]> f = probeStarted.get(p.seq());
      if (f != null) {
        f.complete(new long[] {now - probeCommitStart.get(p.seq()), now - probeCommitEnd.getOrDefault(p.seq(), now)});
      }
    }
  };

  private final OneTimeTask<Void> dbsNoop = Tasks.oneTime("bench-noop").execute((inst, ctx) -> dbsRuns.incrementAndGet());

  private TasksBench(Settings s, PrintStream out) {
    this.s = s;
    this.out = out;
    this.logWork = new LogCommunication(s.users());
  }

  static Outcome run(Settings s, PrintStream out) throws Exception {
    return new TasksBench(s, out).run();
  }

  /**
   * Mingus's pools: the worker pool for the drains and the main pool for enqueueing (and this
   * harness's counts), each of db-scheduler's size ({@code concurrency + 4}), so that the enqueue
   * phases compare the two on equal pools.
   */
  private DatabaseConfig config() {
    int main = s.concurrency() + 4;
    // -Dbench.noProxy=true: the production profile without its statement timer, to see what it costs
    return (Boolean.getBoolean("bench.noProxy") ? s.target().noProxyConfig(main) : s.target().productionConfig(main))
        .poolSize(PoolName.WORKER, s.concurrency() + 4, 0)
        .poolTimeout(PoolName.WORKER, Duration.ofSeconds(30))
        .build();
  }

  private Outcome run() throws Exception {
    out.printf(Locale.ROOT, "tasks benchmark on %s: %d tasks per drain, concurrency %d, %d rounds, phases %s, systems %s%n",
        s.target(), s.tasks(), s.concurrency(), s.rounds(), s.phases(), s.systems());
    try (Database db = Database.create(config()); HikariDataSource dbsPool = dbsPool()) {
      TaskQueue queue = TaskQueue.create(db);
      DataSource admin = db.pools().dataSource(PoolName.MAIN);
      try (Connection c = admin.getConnection()) {
        createSchedulerTable(c);
        logWork.createTables(c);
      }
      Scheduler client = scheduler(dbsPool);
      if (s.phases().contains("enqueue")) {
        enqueueRates(db, queue, admin, client, dbsPool);
      }
      if (s.phases().contains("notify") && s.systems().contains("mingus")) {
        notifyCost(admin);
      }
      if (s.phases().contains("noop")) {
        List<String> order = new ArrayList<>(s.systems());
        for (int round = 1; round <= s.rounds(); round++) {
          for (String system : order) {
            double rate = system.equals("mingus") ? mingusNoop(db, queue, admin) : dbsNoop(client, dbsPool);
            out.printf(Locale.ROOT, "  no-op round %d: %-12s %8.0f tasks/s%n", round, system, rate);
            rates.merge("noop " + system, rate, Double::sum);
          }
          order.addLast(order.removeFirst());
        }
        for (String system : s.systems()) {
          rates.computeIfPresent("noop " + system, (k, v) -> v / s.rounds());
        }
      }
      if (s.phases().contains("logcomm") && s.systems().contains("mingus")) {
        logCommunication(db, queue, admin);
      }
      if (s.phases().contains("latency") && s.systems().contains("mingus")) {
        latency(db, queue, admin);
      }
    }
    report();
    return new Outcome(rates, latencies);
  }

  // ---- setup

  private HikariDataSource dbsPool() {
    HikariConfig h = new HikariConfig();
    h.setPoolName("db-scheduler");
    h.setJdbcUrl(s.target().url());
    h.setUsername(s.target().user());
    h.setPassword(s.target().password());
    h.setMaximumPoolSize(s.concurrency() + 4);
    h.setMinimumIdle(s.concurrency() + 4);
    h.setSchema(s.target().schema());
    h.setInitializationFailTimeout(-1);
    return new HikariDataSource(h);
  }

  private Scheduler scheduler(DataSource pool) {
    return Scheduler.create(pool, dbsNoop)
        .threads(s.concurrency())
        .pollUsingLockAndFetch(0.5, 1.0)
        .pollingInterval(Duration.ofSeconds(1))
        .shutdownMaxWait(Duration.ofSeconds(10))
        .build();
  }

  /** db-scheduler's documented PostgreSQL table (postgresql_tables.sql). */
  static void createSchedulerTable(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("DROP TABLE IF EXISTS scheduled_tasks");
      st.execute("create table scheduled_tasks (task_name text not null, task_instance text not null,"
          + " task_data bytea, execution_time timestamp with time zone not null, picked BOOLEAN not null,"
          + " picked_by text, last_success timestamp with time zone, last_failure timestamp with time zone,"
          + " consecutive_failures INT, last_heartbeat timestamp with time zone, version BIGINT not null,"
          + " priority SMALLINT, PRIMARY KEY (task_name, task_instance))");
      st.execute("CREATE INDEX execution_time_idx ON scheduled_tasks (execution_time)");
      st.execute("CREATE INDEX last_heartbeat_idx ON scheduled_tasks (last_heartbeat)");
      st.execute("CREATE INDEX priority_execution_time_idx on scheduled_tasks (priority desc, execution_time asc)");
    }
  }

  private static void sql(DataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  private static long count(DataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private void clearMingus(DataSource admin) throws SQLException {
    if (s.systems().contains("mingus")) {
      sql(admin, "TRUNCATE mingus_tasks");
    }
  }

  private void clearDbs(DataSource pool) throws SQLException {
    sql(pool, "TRUNCATE scheduled_tasks");
  }

  private Worker worker(Database db, TaskQueue queue) {
    return Worker.builder(db, queue)
        .register(noop, logCommunication, probe)
        .queue("default", s.concurrency())
        .pollInterval(Duration.ofSeconds(1))
        .build();
  }

  // ---- enqueue rates

  /**
   * Enqueue rates, one task per call at 1 and {@code concurrency} threads and batches on 1 thread:
   * {@code rounds} rounds after a warm-up of each, the two systems alternated and their order
   * rotated every round, so that the machine's noise hits both; the means are reported. For Mingus
   * also the transactions committed per task (its own enqueue and the notifier's).
   */
  private void enqueueRates(Database db, TaskQueue queue, DataSource admin, Scheduler client, DataSource dbsPool)
      throws Exception {
    TaskOptions options = TaskOptions.defaults();
    Duration d = s.enqueueSeconds();
    AtomicLong seq = new AtomicLong();
    int batch = s.batch();
    Map<String, Load.Op> ops = new LinkedHashMap<>();
    List<Integer> threadCounts = List.of(1, s.concurrency());
    for (String system : s.systems()) {
      ops.put(system + " single", system.equals("mingus")
          ? () -> queue.enqueue(noop, new Noop(1), options)
          : () -> client.schedule(dbsNoop.instance("e" + seq.incrementAndGet()), Instant.now()));
      ops.put(system + " batch", system.equals("mingus")
          ? () -> {
            List<Noop> payloads = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
              payloads.add(new Noop(i));
            }
            db.inTransaction(session -> queue.enqueueAll(session, noop, payloads, options));
          }
          : () -> {
            List<TaskInstance<?>> instances = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
              instances.add(dbsNoop.instance("b" + seq.incrementAndGet()));
            }
            client.scheduleBatch(instances, Instant.now());
          });
    }
    // warm-up: the first enqueues load classes and fill caches
    for (String system : s.systems()) {
      for (int threads : threadCounts) {
        check("enqueue warm-up " + system, Load.run(threads, d, 200, ops.get(system + " single")));
      }
      check("batch enqueue warm-up " + system, Load.run(1, d, 20, ops.get(system + " batch")));
    }
    Map<String, Double> sums = new LinkedHashMap<>();
    double mingusTx = 0;
    long mingusTasks = 0;
    List<String> order = new ArrayList<>(s.systems());
    for (int round = 1; round <= s.rounds(); round++) {
      for (int threads : threadCounts) {
        for (String system : order) {
          long tx0 = db.stats().committed();
          Load.Result r = Load.run(threads, d, 0, ops.get(system + " single"));
          check("enqueue " + system, r);
          if (system.equals("mingus")) {
            mingusTx += db.stats().committed() - tx0;
            mingusTasks += r.ops();
          }
          String what = String.format(Locale.ROOT, "enqueue single %s %d thread%s", system, threads,
              threads == 1 ? "" : "s");
          sums.merge(what, r.perSecond(), Double::sum);
          sums.merge("CPU us per task of the calling threads, " + what, r.cpuMicrosPerOp(), Double::sum);
        }
      }
      for (String system : order) {
        Load.Result r = Load.run(1, d, 0, ops.get(system + " batch"));
        check("batch enqueue " + system, r);
        sums.merge(String.format(Locale.ROOT, "enqueue batch of %d %s 1 thread", batch, system),
            r.perSecond() * batch, Double::sum);
      }
      order.addLast(order.removeFirst());
    }
    sums.forEach((what, sum) -> {
      if (what.startsWith("CPU")) {
        rates.put(what, sum / s.rounds());
      } else {
        record(what, sum / s.rounds());
      }
    });
    if (mingusTasks > 0) {
      rates.put("Mingus transactions committed per single enqueue", mingusTx / mingusTasks);
      out.printf(Locale.ROOT, "  Mingus transactions committed per single enqueue (its own and the notifier's): %.3f%n",
          mingusTx / mingusTasks);
    }
    for (String kind : List.of("single %s 1 thread", "single %s " + s.concurrency() + " threads",
        "batch of " + batch + " %s 1 thread")) {
      Double m = rates.get("enqueue " + kind.formatted("mingus"));
      Double x = rates.get("enqueue " + kind.formatted("db-scheduler"));
      if (m != null && x != null) {
        rates.put("ratio enqueue " + kind.formatted("Mingus/db-scheduler"), m / x);
        out.printf(Locale.ROOT, "  ratio enqueue %s: %.3f%n", kind.formatted("Mingus / db-scheduler"), m / x);
      }
    }
    clearMingus(admin);
    clearDbs(dbsPool);
  }

  // ---- what a NOTIFY in the enqueueing transaction costs

  /**
   * Plain JDBC on the main pool (no proxy), {@code concurrency} threads: a transaction inserting one
   * task row, with and without a {@code pg_notify} in the same statement (as Mingus's enqueue does,
   * on a channel nobody listens to), alternated in rounds.
   */
  private void notifyCost(DataSource admin) throws Exception {
    String insert = "INSERT INTO mingus_tasks (queue, name, payload, priority, state, attempt, max_attempts,"
        + " timeout_ms, run_at, created_at) VALUES ('notify-probe', 'bench.row', '{}'::jsonb, 0, 'queued', 0, 1, 1000,"
        + " now(), now())";
    String plain = insert + " RETURNING id";
    String notifying = "WITH ins AS (" + insert + " RETURNING id) SELECT id, pg_notify('mingus_bench_probe', 'x') FROM ins";
    Map<String, String> variants = new LinkedHashMap<>();
    variants.put("insert", plain);
    variants.put("insert+pg_notify", notifying);
    Map<String, Double> sums = new LinkedHashMap<>();
    List<String> order = new ArrayList<>(variants.keySet());
    int rounds = Math.max(2, s.rounds() * 2);
    for (int round = 0; round <= rounds; round++) {
      for (String v : order) {
        String sql = variants.get(v);
        Load.Result r = Load.run(s.concurrency(), s.enqueueSeconds(), 0, () -> {
          try (Connection c = admin.getConnection()) {
            c.setAutoCommit(false);
            try (var ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
              rs.next();
            }
            c.commit();
          }
        });
        check("notify cost " + v, r);
        if (round > 0) {
          sums.merge(v, r.perSecond() / rounds, Double::sum);
        }
      }
      order.addLast(order.removeFirst());
    }
    sql(admin, "DELETE FROM mingus_tasks WHERE queue = 'notify-probe'");
    sums.forEach((v, rate) -> record("one-row transaction " + v + ", " + s.concurrency() + " threads, plain JDBC", rate));
    double ratio = sums.get("insert+pg_notify") / sums.get("insert");
    rates.put("ratio insert with pg_notify / without", ratio);
    out.printf(Locale.ROOT, "  ratio one-row transactions with pg_notify / without: %.3f (mean of %d rounds after a warm-up"
        + " round)%n", ratio, rounds);
  }

  // ---- no-op drains

  private void fillMingus(Database db, TaskQueue queue, int n, Task<?> task) {
    int chunk = 1000;
    for (int from = 0; from < n; from += chunk) {
      int size = Math.min(chunk, n - from);
      if (task == noop) {
        List<Noop> payloads = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
          payloads.add(new Noop(from + i));
        }
        db.inTransaction(session -> queue.enqueueAll(session, noop, payloads, TaskOptions.defaults()));
      } else {
        List<LogUser> payloads = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
          payloads.add(new LogUser(logWork.randomUser()));
        }
        db.inTransaction(session -> queue.enqueueAll(session, logCommunication, payloads, TaskOptions.defaults()));
      }
    }
  }

  private double mingusDrain(Database db, TaskQueue queue, DataSource admin, AtomicLong runs, long n, String what)
      throws Exception {
    long before = runs.get();
    long txBefore = db.stats().committed() + db.stats().failed();
    long start = System.nanoTime();
    try (Worker w = worker(db, queue)) {
      w.start();
      waitFor(() -> runs.get() - before >= n, what + ": " + n + " tasks to run", runs, before, n);
      waitFor(() -> count(admin, "SELECT count(*) FROM mingus_tasks WHERE state IN ('queued', 'running')") == 0,
          what + ": the last completions to commit", runs, before, n);
      long nanos = System.nanoTime() - start;
      long failed = count(admin, "SELECT count(*) FROM mingus_tasks WHERE state <> 'succeeded'");
      if (failed > 0) {
        throw new IllegalStateException(what + ": " + failed + " tasks did not succeed");
      }
      double txPerTask = (db.stats().committed() + db.stats().failed() - txBefore) / (double) n;
      out.printf(Locale.ROOT, "  %s: %d tasks in %.1f s, %.2f Mingus transactions per task (claims, runs, completions)%n",
          what, n, nanos / 1e9, txPerTask);
      rates.put(what + " transactions per task", txPerTask);
      return n * 1e9 / nanos;
    }
  }

  private double mingusNoop(Database db, TaskQueue queue, DataSource admin) throws Exception {
    clearMingus(admin);
    fillMingus(db, queue, s.tasks(), noop);
    return mingusDrain(db, queue, admin, noopRuns, s.tasks(), "Mingus no-op drain");
  }

  private double dbsNoop(Scheduler client, HikariDataSource pool) throws Exception {
    clearDbs(pool);
    int chunk = 1000;
    Instant now = Instant.now();
    for (int from = 0; from < s.tasks(); from += chunk) {
      List<TaskInstance<?>> instances = new ArrayList<>(chunk);
      for (int i = from; i < Math.min(s.tasks(), from + chunk); i++) {
        instances.add(dbsNoop.instance("n" + i));
      }
      client.scheduleBatch(instances, now);
    }
    long before = dbsRuns.get();
    long n = s.tasks();
    long start = System.nanoTime();
    Scheduler scheduler = scheduler(pool);
    scheduler.start();
    try {
      waitFor(() -> dbsRuns.get() - before >= n, "db-scheduler no-op drain: " + n + " tasks to run", dbsRuns, before, n);
      waitFor(() -> count(pool, "SELECT count(*) FROM scheduled_tasks") == 0,
          "db-scheduler no-op drain: the last completions to commit", dbsRuns, before, n);
      return n * 1e9 / (System.nanoTime() - start);
    } finally {
      scheduler.stop();
    }
  }

  @FunctionalInterface
  private interface Condition {
    boolean holds() throws Exception;
  }

  /** Waits for {@code c}, checking every 20 ms, failing when no task ran for 60 s. */
  private static void waitFor(Condition c, String what, AtomicLong runs, long before, long n) throws Exception {
    long last = runs.get();
    long lastProgress = System.nanoTime();
    while (!c.holds()) {
      Thread.sleep(20);
      long now = runs.get();
      if (now != last) {
        last = now;
        lastProgress = System.nanoTime();
      } else if (System.nanoTime() - lastProgress > TimeUnit.SECONDS.toNanos(60)) {
        throw new IllegalStateException("waiting for " + what + ": no progress for 60 s (" + (now - before) + " of " + n
            + " ran)");
      }
    }
  }

  // ---- log communication: tasks vs plain JDBC on the worker pool

  private void logCommunication(Database db, TaskQueue queue, DataSource admin) throws Exception {
    DataSource workerPool = db.pools().dataSource(PoolName.WORKER);
    // warm-up of the plain path, so that "before" is not measured on cold code
    check("plain JDBC warm-up", Load.run(s.concurrency(), s.plainSeconds(), 0, () -> logWork.plain(workerPool)));
    // and a warm-up drain of the worker's path, so that neither side is measured on cold code (the
    // JIT compiling the worker's path showed as a fifth of the JVM's CPU in a cold drain)
    int warm = Math.min(s.tasks(), 20_000);
    clearMingus(admin);
    fillMingus(db, queue, warm, logCommunication);
    mingusDrain(db, queue, admin, logRuns, warm, "Mingus log-communication warm-up drain");
    long cpu0 = processCpuNanos();
    Load.Result before = Load.run(s.concurrency(), s.plainSeconds(), 0, () -> logWork.plain(workerPool));
    long plainCpu = processCpuNanos() - cpu0;
    check("plain JDBC log communication", before);
    clearMingus(admin);
    fillMingus(db, queue, s.tasks(), logCommunication);
    long[] rowsBefore;
    try (Connection c = admin.getConnection()) {
      rowsBefore = logWork.counts(c);
    }
    long cpu1 = processCpuNanos();
    double tasks = mingusDrain(db, queue, admin, logRuns, s.tasks(), "Mingus log-communication drain");
    long drainCpu = processCpuNanos() - cpu1;
    long[] rowsAfter;
    try (Connection c = admin.getConnection()) {
      rowsAfter = logWork.counts(c);
    }
    if (rowsAfter[0] - rowsBefore[0] != s.tasks() || rowsAfter[1] - rowsBefore[1] != s.tasks()) {
      throw new IllegalStateException("log-communication tasks: " + s.tasks() + " tasks succeeded but "
          + (rowsAfter[0] - rowsBefore[0]) + " rows were inserted and engagement grew by " + (rowsAfter[1] - rowsBefore[1]));
    }
    long cpu2 = processCpuNanos();
    Load.Result after = Load.run(s.concurrency(), s.plainSeconds(), 0, () -> logWork.plain(workerPool));
    plainCpu += processCpuNanos() - cpu2;
    check("plain JDBC log communication", after);
    // The JVM's CPU time (all its threads) per unit of work: steadier than wall rates on a shared
    // machine, and it shows what the worker costs beyond the SQL (the drain's includes the polls of
    // this harness, a few per second).
    double plainCpuPerTx = plainCpu / 1e3 / (before.ops() + after.ops());
    double drainCpuPerTask = drainCpu / 1e3 / s.tasks();
    out.printf(Locale.ROOT, "  JVM CPU per unit: plain JDBC %.1f us per transaction, Mingus %.1f us per task%n",
        plainCpuPerTx, drainCpuPerTask);
    rates.put("JVM CPU us per log-communication transaction, plain JDBC", plainCpuPerTx);
    rates.put("JVM CPU us per log-communication task, Mingus", drainCpuPerTask);
    double plain = (before.perSecond() + after.perSecond()) / 2;
    double handWritten = handWrittenWorker(db, queue, admin);
    record("log-communication plain JDBC " + s.concurrency() + " threads (before)", before.perSecond());
    record("log-communication plain JDBC " + s.concurrency() + " threads (after)", after.perSecond());
    record("log-communication tasks concurrency " + s.concurrency(), tasks);
    out.printf(Locale.ROOT, "  ratio log-communication tasks / plain JDBC (mean of before and after): %.3f%n",
        tasks / plain);
    rates.put("ratio logcomm tasks/plain", tasks / plain);
    out.printf(Locale.ROOT, "  ratio log-communication tasks / hand-written JDBC worker doing the same SQL: %.3f%n",
        tasks / handWritten);
    rates.put("ratio logcomm tasks/hand-written JDBC worker", tasks / handWritten);
  }

  /**
   * The least a worker can do for the same tasks, on plain JDBC: {@code concurrency} platform
   * threads on the worker pool, each claiming 10 tasks at a time with Mingus's claim statement
   * (auto-commit), then running each in a transaction of its own: the payload read with Jackson,
   * the two log-communication statements and the fenced completion, commit. No heartbeats,
   * timeouts, retries, meters or failure handling. The queue is filled as for the Mingus drain.
   */
  private double handWrittenWorker(Database db, TaskQueue queue, DataSource admin) throws Exception {
    clearMingus(admin);
    fillMingus(db, queue, s.tasks(), logCommunication);
    DataSource pool = db.pools().dataSource(PoolName.WORKER);
    String claim = "UPDATE mingus_tasks t SET state = 'running', lease_owner = ?, heartbeat_at = now(),"
        + " started_at = now(), attempt = t.attempt + 1 WHERE t.id = ANY (ARRAY(SELECT id FROM mingus_tasks"
        + " WHERE state = 'queued' AND queue = 'default' AND run_at <= now() AND name = ?"
        + " ORDER BY priority DESC, run_at, id LIMIT 10 FOR UPDATE SKIP LOCKED)) RETURNING t.id, t.attempt, t.payload";
    String complete = "UPDATE mingus_tasks SET state = 'succeeded', finished_at = now(), heartbeat_at = NULL"
        + " WHERE id = ? AND attempt = ? AND lease_owner = ? AND state = 'running'";
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    AtomicLong done = new AtomicLong();
    java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
    long start = System.nanoTime();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < s.concurrency(); t++) {
      String owner = "hand-written-" + t;
      threads.add(Thread.ofPlatform().start(() -> {
        try (Connection c = pool.getConnection()) {
          while (true) {
            List<Object[]> claimed = new ArrayList<>(10);
            try (PreparedStatement ps = c.prepareStatement(claim)) {
              ps.setString(1, owner);
              ps.setString(2, logCommunication.name());
              try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  claimed.add(new Object[] {rs.getLong(1), rs.getInt(2), rs.getString(3)});
                }
              }
            }
            if (claimed.isEmpty()) {
              return;
            }
            for (Object[] row : claimed) {
              LogUser payload = json.readValue((String) row[2], LogUser.class);
              c.setAutoCommit(false);
              LogCommunication.statements(c, payload.userId());
              try (PreparedStatement ps = c.prepareStatement(complete)) {
                ps.setLong(1, (Long) row[0]);
                ps.setInt(2, (Integer) row[1]);
                ps.setString(3, owner);
                if (ps.executeUpdate() != 1) {
                  throw new IllegalStateException("task " + row[0] + " lost its lease");
                }
              }
              c.commit();
              c.setAutoCommit(true);
              done.incrementAndGet();
            }
          }
        } catch (Exception | Error e) {
          failure.compareAndSet(null, e);
        }
      }));
    }
    for (Thread t : threads) {
      t.join();
    }
    long nanos = System.nanoTime() - start;
    if (failure.get() != null) {
      throw new IllegalStateException("hand-written JDBC worker failed", failure.get());
    }
    if (done.get() != s.tasks()) {
      throw new IllegalStateException("hand-written JDBC worker ran " + done.get() + " of " + s.tasks() + " tasks");
    }
    double rate = s.tasks() * 1e9 / nanos;
    record("log-communication hand-written JDBC worker, " + s.concurrency() + " threads", rate);
    return rate;
  }

  /** CPU time of this whole JVM so far, user and system, or 0 when the JVM cannot tell. */
  private static long processCpuNanos() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os ? Math.max(0, os.getProcessCpuTime()) : 0;
  }

  // ---- pickup latency on an idle worker

  private void latency(Database db, TaskQueue queue, DataSource admin) throws Exception {
    clearMingus(admin);
    try (Database producerDb = Database.create(s.target().productionConfig(2)
        .poolSize(PoolName.WORKER, 1, 0).build());
        Worker w = worker(db, queue)) {
      TaskQueue producer = TaskQueue.create(producerDb);
      w.start();
      Thread.sleep(500);
      probe("same process (in-process wake)", db, queue);
      probe("other producer (PostgreSQL NOTIFY)", producerDb, producer);
    }
  }

  private void probe(String label, Database producerDb, TaskQueue producer) throws Exception {
    long[] fromCommitCall = new long[s.latencySamples()];
    long[] fromCommitReturn = new long[s.latencySamples()];
    AtomicLong seqs = new AtomicLong(System.nanoTime());
    for (int i = 0; i < s.latencySamples(); i++) {
      long seq = seqs.incrementAndGet();
      CompletableFuture<long[]> started = new CompletableFuture<>();
      probeStarted.put(seq, started);
      producerDb.inTransaction(io.mingus.db.TransactionOptions.named("bench.probe"), session -> {
        producer.enqueue(session, probe, new Probe(seq), TaskOptions.defaults());
        probeCommitStart.put(seq, System.nanoTime());
      });
      probeCommitEnd.put(seq, System.nanoTime());
      long[] l = started.get(30, TimeUnit.SECONDS);
      fromCommitCall[i] = l[0];
      fromCommitReturn[i] = Math.max(0, l[1]);
      probeStarted.remove(seq);
      Thread.sleep(20 + ThreadLocalRandom.current().nextInt(30));
    }
    latencies.put(label + ", from the commit call", fromCommitCall);
    latencies.put(label + ", from the commit's return", fromCommitReturn);
  }

  // ---- output

  private void record(String what, double perSecond) {
    rates.put(what, perSecond);
    out.printf(Locale.ROOT, "  %-55s %9.0f tasks/s%n", what, perSecond);
  }

  private static void check(String what, Load.Result r) {
    if (r.errors() > 0 || r.ops() == 0) {
      throw new IllegalStateException(what + ": " + r.ops() + " done, " + r.errors() + " failed; first failure: "
          + r.firstError(), r.firstError());
    }
  }

  private void report() {
    out.println("results:");
    rates.forEach((k, v) -> out.printf(Locale.ROOT, "  %-55s %10.3f%n", k, v));
    if (rates.containsKey("noop mingus") && rates.containsKey("noop db-scheduler")) {
      out.printf(Locale.ROOT, "  ratio no-op Mingus / db-scheduler: %.2f%n",
          rates.get("noop mingus") / rates.get("noop db-scheduler"));
    }
    latencies.forEach((k, v) -> out.printf(Locale.ROOT, "  pickup latency %s: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d samples)%n",
        k, Load.quantile(v.clone(), 0.50) / 1e6, Load.quantile(v.clone(), 0.99) / 1e6, Load.quantile(v.clone(), 1.0) / 1e6,
        v.length));
  }
}
