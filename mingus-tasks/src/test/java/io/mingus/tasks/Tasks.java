package io.mingus.tasks;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Small tasks the tests run. */
final class Tasks {
  private Tasks() {}

  record N(long n) {}

  /** Inserts witness(n) through its own session: a second run of the same n breaks the primary key. */
  static final class Witness implements Task<N> {
    @Override
    public String name() {
      return "test.witness";
    }

    @Override
    public Class<N> payloadType() {
      return N.class;
    }

    @Override
    public void run(TaskContext ctx, N p) {
      ctx.session().update("INSERT INTO witness (n, task_id, worker, attempt) VALUES (?, ?, ?, ?)", p.n(), ctx.taskId(),
          Thread.currentThread().getName(), ctx.attempt());
    }
  }

  /** Does nothing: its completion is batched. */
  static final class Noop implements Task<N> {
    @Override
    public String name() {
      return "test.noop";
    }

    @Override
    public Class<N> payloadType() {
      return N.class;
    }

    @Override
    public void run(TaskContext ctx, N p) {
      // no effects at all
    }
  }

  /** Inserts witness(n), then on its first attempt waits for {@code release} (interruptibly). */
  static final class Blocking implements Task<N> {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    private final String name;

    Blocking(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Class<N> payloadType() {
      return N.class;
    }

    @Override
    public void run(TaskContext ctx, N p) throws InterruptedException {
      ctx.session().update("INSERT INTO witness (n, task_id, worker, attempt) VALUES (?, ?, ?, ?)", p.n(), ctx.taskId(),
          "x", ctx.attempt());
      if (ctx.attempt() == 1) {
        entered.countDown();
        if (!release.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never released the task");
        }
      }
    }
  }
}
