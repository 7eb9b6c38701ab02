package io.mingus.tasks.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.mingus.db.LogCapture;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LoopTest {
  private static final Duration LONG = Duration.ofMinutes(5);

  @Test
  void a_step_runs_at_once_and_again_when_woken_before_its_wait_is_over() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    Loop loop = Loop.every("test-loop", "test: work", LONG, runs::incrementAndGet);
    loop.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() == 1);

    loop.wake();
    await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() == 2);
    loop.stop();
    assertThat(loop.join(Duration.ofSeconds(10))).isTrue();
  }

  @Test
  void a_step_asking_for_no_wait_runs_again_at_once() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    Loop loop = new Loop("test-loop", "test: work", () -> runs.incrementAndGet() < 5 ? Duration.ZERO : LONG, LONG,
        LONG, null);
    loop.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() == 5);
    loop.stop();
    assertThat(loop.join(Duration.ofSeconds(10))).isTrue();
  }

  @Test
  void a_failing_step_is_logged_once_while_it_fails_and_once_when_it_works_again() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    try (LogCapture log = LogCapture.of(Level.DEBUG, Loop.class.getName())) {
      Loop loop = new Loop("test-loop", "worker w1: claiming", () -> {
        if (runs.incrementAndGet() <= 3) {
          throw new IllegalStateException("database down");
        }
        return LONG;
      }, Duration.ofMillis(1), Duration.ofMillis(4), null);
      loop.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() == 4);
      loop.stop();
      assertThat(loop.join(Duration.ofSeconds(10))).isTrue();

      assertThat(log.messages(Level.INFO)).containsExactly(
          "worker w1: claiming failed; trying again in 1 ms until it works:"
              + " java.lang.IllegalStateException: database down",
          "worker w1: claiming works again after 3 failures");
      assertThat(log.messages(Level.DEBUG)).as("the backoff doubles up to its cap")
          .contains("worker w1: claiming failed again (2 times); trying again in 2 ms: java.lang.IllegalStateException:"
              + " database down", "worker w1: claiming failed again (3 times); trying again in 4 ms:"
              + " java.lang.IllegalStateException: database down");
    }
  }

  @Test
  void stop_ends_a_long_wait_and_runs_the_exit_action_on_the_loops_thread() throws Exception {
    List<String> exits = new CopyOnWriteArrayList<>();
    CountDownLatch ran = new CountDownLatch(1);
    Loop loop = new Loop("test-exit", "test: work", () -> {
      ran.countDown();
      return LONG;
    }, LONG, LONG, () -> exits.add(Thread.currentThread().getName()));
    Thread t = loop.start();
    assertThat(t.isVirtual()).isTrue();
    assertThat(ran.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

    loop.stop();
    assertThat(loop.join(Duration.ofSeconds(10))).isTrue();
    assertThat(exits).containsExactly("test-exit");
  }

  @Test
  void an_interrupted_step_ends_the_loop() throws Exception {
    Loop loop = new Loop("test-loop", "test: work", () -> {
      new CountDownLatch(1).await();
      return LONG;
    }, LONG, LONG, null);
    Thread t = loop.start();
    t.interrupt();
    assertThat(loop.join(Duration.ofSeconds(10))).isTrue();
  }

  @Test
  void a_loop_never_started_has_nothing_to_join() throws Exception {
    assertThat(Loop.every("test-loop", "test", LONG, () -> { }).join(Duration.ofMillis(1))).isTrue();
  }
}
