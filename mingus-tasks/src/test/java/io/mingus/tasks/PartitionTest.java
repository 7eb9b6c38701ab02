package io.mingus.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.mingus.db.BreakerState;
import io.mingus.db.Database;
import io.mingus.db.PoolName;
import io.mingus.db.TcpProxy;
import io.mingus.db.TestDb;
import io.mingus.db.TestEngine;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A network partition between one worker and PostgreSQL: two workers in this JVM, each with a
 * {@link Database} of its own behind a {@link TcpProxy} of its own, on one schema. The test cuts
 * one worker's proxy and never stops the shared server.
 */
class PartitionTest {
  /** The target for a dead worker is 5 s; the bound leaves room for a loaded 2-core CI machine. */
  static final Duration RUNNING_AGAIN_BOUND = Duration.ofSeconds(12);

  record N(long n) {}

  /** Writes witness(n) in its own transaction; the first attempt waits for {@code release} before it does. */
  static final class Gated implements Task<N> {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    private final String worker;

    Gated(String worker) {
      this.worker = worker;
    }

    @Override
    public String name() {
      return "test.gated";
    }

    @Override
    public Class<N> payloadType() {
      return N.class;
    }

    @Override
    public void run(TaskContext ctx, N p) throws InterruptedException {
      if (ctx.attempt() == 1 && p.n() == 1) {
        entered.countDown();
        if (!release.await(60, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never released the task");
        }
      }
      ctx.session().update("INSERT INTO witness (n, task_id, worker, attempt) VALUES (?, ?, ?, ?)", p.n(),
          ctx.taskId(), worker, ctx.attempt());
    }
  }

  private static Database behind(TcpProxy proxy, TestDb t) {
    return Database.builder(TestDb.baseConfig(TestEngine.POSTGRESQL)
        .url(proxy.rewrite(TestDb.postgresUrl()), TestDb.postgresUser(), TestDb.postgresPassword())
        .schema(t.schema())
        .poolTimeout(PoolName.WORKER, Duration.ofSeconds(1))
        .breaker(3, Duration.ofSeconds(60))
        .build()).build();
  }

  private static Worker worker(Database db, String id, Gated task) {
    return Worker.builder(db, TaskQueue.create(db)).id(id).register(task).queue("default", 2)
        .pollInterval(Duration.ofMillis(50)).shutdownTimeout(Duration.ofSeconds(10)).build();
  }

  private static boolean registered(Worker w) {
    return w.runtime().session().orElseThrow().registered();
  }

  private static double leaseLost(Database db) {
    Counter c = db.meterRegistry().find("mingus.tasks.outcomes").tags("name", "test.gated", "outcome", "lease_lost")
        .counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void a_worker_cut_off_stops_claiming_its_late_completion_is_refused_and_it_resumes_when_the_link_returns() {
    Gated onA = new Gated("a");
    Gated onB = new Gated("b");
    try (TestDb t = TestDb.open(TestEngine.POSTGRESQL);
        TcpProxy proxyA = TcpProxy.toPostgres();
        TcpProxy proxyB = TcpProxy.toPostgres();
        Database dbA = behind(proxyA, t);
        Database dbB = behind(proxyB, t);
        Worker a = worker(dbA, "a", onA);
        Worker b = worker(dbB, "b", onB)) {
      TaskQueue queue = TaskQueue.create(t.db());
      t.db().inTransaction(s -> s.update(
          "CREATE TABLE witness (n BIGINT PRIMARY KEY, task_id BIGINT, worker VARCHAR(200), attempt INT)"));
      a.start();
      long first = queue.enqueue(onA, new N(1), TaskOptions.defaults());
      await().atMost(Duration.ofSeconds(20)).until(() -> onA.entered.getCount() == 0 && registered(a));
      b.start();
      await().atMost(Duration.ofSeconds(20)).until(() -> registered(b));

      proxyA.cut();
      long cut = System.nanoTime();
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
          .until(() -> queue.admin().find(first).orElseThrow().attempt() == 2);
      Duration again = Duration.ofNanos(System.nanoTime() - cut);
      System.out.printf("partitioned worker's task running again on another after %d ms%n", again.toMillis());
      assertThat(again).as("cut to running again").isLessThanOrEqualTo(RUNNING_AGAIN_BOUND);
      await().atMost(Duration.ofSeconds(20))
          .until(() -> queue.admin().find(first).orElseThrow().state() == TaskState.SUCCEEDED);

      // Cut off, a stops claiming: its worker pool's breaker opens, and b runs what comes.
      await().atMost(Duration.ofSeconds(30)).until(() -> dbA.pools().breakerState(PoolName.WORKER) == BreakerState.OPEN);
      long second = queue.enqueue(onA, new N(2), TaskOptions.defaults());
      await().atMost(Duration.ofSeconds(20))
          .until(() -> queue.admin().find(second).orElseThrow().state() == TaskState.SUCCEEDED);
      assertThat(queue.admin().find(second).orElseThrow().leaseOwner()).isEqualTo("b");

      // The link returns; a's first attempt goes on and tries to complete: the fence refuses it.
      proxyA.restore();
      await().atMost(Duration.ofSeconds(20)).until(() -> dbA.pools().breakerState(PoolName.WORKER)
          == BreakerState.CLOSED && registered(a));
      onA.release.countDown();
      await().atMost(Duration.ofSeconds(30)).until(() -> leaseLost(dbA) >= 1);
      TaskRecord done = queue.admin().find(first).orElseThrow();
      assertThat(done.leaseOwner()).isEqualTo("b");
      assertThat(done.attempt()).isEqualTo(2);
      java.util.List<String> witnessed = t.db().fromTransaction(
          s -> s.query("SELECT worker || ':' || attempt FROM witness WHERE n = 1", rs -> rs.getString(1)));
      assertThat(witnessed).as("the late attempt's write rolled back with its refused completion")
          .containsExactly("b:2");

      // And a resumes without a restart: with b gone, it runs the next task.
      b.close();
      long third = queue.enqueue(onA, new N(3), TaskOptions.defaults());
      await().atMost(Duration.ofSeconds(20))
          .until(() -> queue.admin().find(third).orElseThrow().state() == TaskState.SUCCEEDED);
      assertThat(queue.admin().find(third).orElseThrow().leaseOwner()).isEqualTo("a");
      assertThat(dbA.meterRegistry().find("mingus.tasks.rescues").tag("cause", "session_gone").counters())
          .as("a never took b for dead").allMatch(c -> c.count() == 0);
      assertThat(dbB.meterRegistry().get("mingus.tasks.rescues").tag("cause", "session_gone").counters().stream()
          .mapToDouble(Counter::count).sum()).isEqualTo(1.0);
    }
  }
}
