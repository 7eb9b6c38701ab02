package io.mingus.bench;

import java.util.Arrays;
import java.util.List;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The benchmark jar's entry point: {@code java -jar mingus-bench.jar COMMAND [--option value]...}.
 * Commands: {@code db} (log communication, Mingus vs plain JDBC), {@code scope} (JMH: an empty
 * transaction scope against a stub driver), {@code tasks} (the task queue vs db-scheduler). See
 * docs/BENCHMARKS.md for the options and the results.
 */
public final class Main {
  private Main() {}

  public static void main(String[] argv) throws Exception {
    if (argv.length == 0) {
      usage();
      System.exit(2);
    }
    List<String> rest = Arrays.asList(argv).subList(1, argv.length);
    try {
      switch (argv[0]) {
        case "db" -> DbBench.run(DbBench.Settings.from(new Args(rest)), System.out);
        case "scope" -> scope(new Args(rest));
        case "scope-cpu" -> {
          Args a = new Args(rest);
          for (String config : a.string("config", "production,no-proxy").split(",")) {
            ScopeBench.cpuTime(config, a.integer("ops", 200_000), a.integer("rounds", 10), System.out);
          }
        }
        case "tasks" -> TasksBench.run(TasksBench.Settings.from(new Args(rest)), System.out);
        case "http" -> HttpBench.run(HttpBench.Settings.from(new Args(rest)), System.out);
        case "sends" -> SendsBench.run(SendsBench.Settings.from(new Args(rest)), System.out);
        case "-h", "--help", "help" -> usage();
        default -> {
          System.err.println("unknown command '" + argv[0] + "': use db, scope, scope-cpu, tasks, http or sends");
          System.exit(2);
        }
      }
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
    }
  }

  private static void scope(Args a) throws Exception {
    String include = a.string("include", "");
    var options = new OptionsBuilder()
        .include(ScopeBench.class.getName() + (include.isBlank() ? "" : "." + include))
        .forks(a.integer("forks", 1))
        .warmupIterations(a.integer("warmup-iterations", 5))
        .warmupTime(TimeValue.milliseconds(a.integer("warmup-ms", 1000)))
        .measurementIterations(a.integer("iterations", 5))
        .measurementTime(TimeValue.milliseconds(a.integer("iteration-ms", 1000)))
        .threads(a.integer("threads", 1))
        .jvmArgsAppend("-Xmx512m");
    String prof = a.string("prof", "");
    for (String p : prof.isBlank() ? new String[0] : prof.split("\\+")) {
      int colon = p.indexOf(':');
      if (colon < 0) {
        options.addProfiler(p);
      } else {
        options.addProfiler(p.substring(0, colon), p.substring(colon + 1));
      }
    }
    String config = a.string("config", "");
    if (!config.isBlank()) {
      options.param("config", config.split(","));
    }
    new Runner(options.build()).run();
  }

  private static void usage() {
    System.out.println("""
        usage: java -jar mingus-bench.jar COMMAND [--option value]...
          db     log communication through Database.inTransaction vs plain JDBC on the same Hikari pool
                 --threads 1,8 --warmup 5 --seconds 2 --rounds 10 --users 1000 [--ops N] [--url jdbc:...]
                 [--user postgres] [--schema mingus_bench] [--variants mingus,jdbc,mingus-conn,mingus-noproxy,jdbc-noproxy]
          scope  JMH: an empty transaction scope vs getConnection/commit/close, on a stub JDBC driver
                 --forks 1 --warmup-iterations 5 --warmup-ms 1000 --iterations 5 --iteration-ms 1000 --threads 1
                 [--prof gc or stack or "gc+stack:lines=3;top=25"] [--include mingusEmptyScope] [--config production,no-proxy]
          scope-cpu  the same two scopes in a plain loop, measured in thread CPU time (robust on a busy machine)
                 --ops 200000 --rounds 10 --config production,no-proxy
          tasks  the task queue (no-op and log-communication tasks, enqueue rate, pickup latency) vs db-scheduler
          http   POST /api/communications against a running mingus serve, and in the same run the plain-JDBC floors
                 of its transaction on a pool of the server's size: insert communication + insert task, and the
                 server's one statement in auto-commit with connections lent first come, first served
                 --base-url http://127.0.0.1:8080 --schema SERVER_DB_SCHEMA --concurrency 1,16,64 --seconds 10 --users 200
                 --deliveries true (false: a server without workers, accepted requests only) --client raw (or jdk)
                 --floor true --floor-threads 8,64 --floor-seconds 5 --server-pool 20 --warmup-seconds 15
                 [--compare-url http://127.0.0.1:8081: a second server on the same database, alternated with the first]
                 [--batch-concurrency 1,4 --batch-size 1000: POST /api/communications/batch too, communications/s]
          sends  a real mingus worker process (the shaded jar) draining N queued SMS: outbox and a local HTTP SMS API
                 --sms 50000 --users 10000 --concurrency 1000 --pool 20 --providers outbox,http --latency-ms 100
                 --rounds 2 --reference-tasks 20000 --round-trip-sms 10000 (0: none) [--jfr DIR]
                 [--worker-jvm-args "..."] [--jar mingus-server/target/mingus.jar] [--database mingus_bench_sends]
        The database is BENCH_DATABASE_URL (default jdbc:postgresql://127.0.0.1:5432/test), user BENCH_DATABASE_USER
        (postgres), password BENCH_DATABASE_PASSWORD; each command works in a schema of its own.""");
  }
}
