package io.mingus.tasks.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** A lane without a database: claims, slots and give-backs are fakes, and its monotonic clock is set by hand. */
class LaneTest {
  private static final Duration POLL = Duration.ofSeconds(5);
  private static final Instant NOW = Instant.parse("2026-03-02T10:00:30Z");

  private final Lifecycle lifecycle = new Lifecycle();
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final AtomicBoolean breakerOpen = new AtomicBoolean();
  private final FakeClaims claims = new FakeClaims();
  private final List<Execution> started = new CopyOnWriteArrayList<>();
  private final List<GivenBack> givenBack = new CopyOnWriteArrayList<>();
  private UnaryOperator<Duration> nextWait = UnaryOperator.identity();

  LaneTest() {
    lifecycle.move(Lifecycle.State.NEW, Lifecycle.State.RUNNING);
  }

  private Lane lane(int concurrency, int ahead) {
    return lane(concurrency, ahead, POLL);
  }

  private Lane lane(int concurrency, int ahead, Duration poll) {
    return new Lane(new Lane.Context("w1", "q", concurrency, ahead, poll, lifecycle, breakerOpen::get, claims,
        (first, ready) -> started.add(first), (xs, why, runAt) -> givenBack.add(new GivenBack(xs, why, runAt)),
        d -> nextWait.apply(d), InstantSource.fixed(NOW), nanos::get));
  }

  @Test
  void it_fills_the_slots_and_the_ready_buffer_in_one_claim_and_refills_the_buffer_when_half_empty() throws Exception {
    claims.add(20, "t");
    Lane lane = lane(2, 4);

    assertThat(lane.step()).as("every task asked for came").isZero();
    assertThat(claims.wants).containsExactly(6);
    assertThat(ids(started)).containsExactly(1L, 2L);
    assertThat(lane.readyCount()).isEqualTo(4);

    assertThat(lane.step()).as("slots and buffer full: nothing to claim").isZero();
    assertThat(claims.wants).containsExactly(6);

    assertThat(lane.next().claimed().id()).as("a slot takes the next ready task").isEqualTo(3);
    assertThat(claims.wants).as("the buffer is not yet half empty").containsExactly(6);
    assertThat(lane.next().claimed().id()).isEqualTo(4);
    lane.step();
    assertThat(claims.wants).as("refilled at half: the buffer only").containsExactly(6, 2);
    assertThat(lane.readyCount()).isEqualTo(4);
    assertThat(lane.runningCount()).isEqualTo(2);
  }

  @Test
  void without_claiming_ahead_it_claims_only_into_free_slots() throws Exception {
    claims.add(10, "t");
    Lane lane = lane(3, 0);

    lane.step();
    assertThat(claims.wants).containsExactly(3);
    assertThat(lane.readyCount()).isZero();
    assertThat(lane.next()).as("no ready task: the slot is freed").isNull();
    lane.step();
    assertThat(claims.wants).containsExactly(3, 1);
    assertThat(ids(started)).containsExactly(1L, 2L, 3L, 4L);
  }

  @Test
  void a_slot_takes_ready_tasks_in_claim_order_until_none_is_left() throws Exception {
    claims.add(3, "t");
    Lane lane = lane(1, 2);

    lane.step();
    assertThat(ids(started)).containsExactly(1L);
    assertThat(lane.next().claimed().id()).isEqualTo(2);
    assertThat(lane.next().claimed().id()).isEqualTo(3);
    assertThat(lane.next()).isNull();
    assertThat(lane.runningCount()).isZero();
  }

  @Test
  void ready_tasks_that_waited_over_a_second_go_back_and_claiming_ahead_pauses() throws Exception {
    claims.add(20, "t");
    Lane lane = lane(1, 2);
    lane.step();
    assertThat(lane.readyCount()).isEqualTo(2);

    nanos.addAndGet(Lane.STALE.toNanos() + 1);
    lane.step();
    assertThat(givenBack).hasSize(1);
    assertThat(ids(givenBack.getFirst().xs())).containsExactly(2L, 3L);
    assertThat(givenBack.getFirst().why()).isEqualTo("give-back-stale");
    assertThat(givenBack.getFirst().runAt()).isEqualTo(NOW);

    assertThat(lane.next()).isNull();
    lane.step();
    assertThat(claims.wants).as("claiming ahead paused: one for the free slot").containsExactly(3, 1);

    nanos.addAndGet(Lane.AHEAD_PAUSE.toNanos());
    assertThat(lane.next()).isNull();
    lane.step();
    assertThat(claims.wants).as("claiming ahead again").containsExactly(3, 1, 3);
  }

  @Test
  void while_the_worker_pools_breaker_is_open_it_does_not_claim() throws Exception {
    claims.add(5, "t");
    breakerOpen.set(true);
    Lane lane = lane(2, 4);

    assertThat(lane.step()).isEqualTo(POLL);
    assertThat(claims.wants).isEmpty();
    assertThat(lane.skippedWhileBreakerOpen()).isEqualTo(1);

    breakerOpen.set(false);
    lane.step();
    assertThat(claims.wants).containsExactly(6);
  }

  @Test
  void with_fewer_due_tasks_than_wanted_it_waits_the_poll_interval_or_less() throws Exception {
    Lane lane = lane(1, 2);
    assertThat(lane.step()).as("nothing due, nothing ready").isEqualTo(POLL);

    claims.add(2, "t");
    assertThat(lane.step()).as("a ready task must not wait past its staleness").isEqualTo(Lane.STALE);

    nextWait = d -> Duration.ofMillis(300);
    lane.next();
    assertThat(lane.step()).as("a rate limit refills sooner").isEqualTo(Duration.ofMillis(300));
  }

  @Test
  void a_slot_gets_no_ready_task_once_the_worker_stops_claiming() throws Exception {
    claims.add(3, "t");
    Lane lane = lane(1, 2);
    lane.step();

    lifecycle.move(Lifecycle.State.RUNNING, Lifecycle.State.STOPPING);
    assertThat(lane.next()).isNull();
    assertThat(lane.readyCount()).isEqualTo(2);
    assertThat(lane.step()).as("an idle wait until the fetcher is stopped").isEqualTo(POLL);
  }

  @Test
  void take_ready_takes_only_the_tasks_of_that_name() throws Exception {
    claims.add(1, "a");
    claims.add(2, "b");
    claims.add(1, "a");
    Lane lane = lane(1, 4);
    lane.step();

    assertThat(ids(lane.takeReady("b"))).containsExactly(2L, 3L);
    assertThat(ids(lane.takeReady("b"))).isEmpty();
    assertThat(lane.next().claimed().id()).isEqualTo(4);
  }

  @Test
  void a_stopped_fetcher_gives_back_its_ready_tasks() throws Exception {
    claims.add(3, "t");
    Lane lane = lane(1, 2);
    lane.start();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> lane.readyCount() == 2);

    lane.stop();
    assertThat(lane.join(Duration.ofSeconds(10))).isTrue();
    assertThat(givenBack).hasSize(1);
    assertThat(givenBack.getFirst().why()).isEqualTo("give-back");
    assertThat(ids(givenBack.getFirst().xs())).containsExactly(2L, 3L);
    assertThat(lane.next()).as("a closed lane hands out nothing").isNull();
  }

  @Test
  void a_halted_worker_gives_nothing_back() throws Exception {
    claims.add(3, "t");
    Lane lane = lane(1, 2);
    lane.start();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> lane.readyCount() == 2);

    lifecycle.halt();
    lane.stop();
    assertThat(lane.join(Duration.ofSeconds(10))).isTrue();
    assertThat(givenBack).isEmpty();
  }

  @Test
  void a_wake_ends_the_idle_wait_at_once() throws Exception {
    Lane lane = lane(1, 0, Duration.ofMinutes(10));
    lane.start();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> claims.wants.size() == 1);

    claims.add(1, "t");
    lane.wake();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> started.size() == 1);
    lane.stop();
    assertThat(lane.join(Duration.ofSeconds(10))).isTrue();
  }

  private static List<Long> ids(List<Execution> xs) {
    return xs.stream().map(x -> x.claimed().id()).toList();
  }

  private record GivenBack(List<Execution> xs, String why, Instant runAt) {}

  /** Hands out the tasks added, in order, as many as asked for; records what was asked. */
  private static final class FakeClaims implements Lane.Claims {
    final List<Integer> wants = new CopyOnWriteArrayList<>();
    private final ArrayDeque<Execution> due = new ArrayDeque<>();
    private long nextId = 1;

    synchronized void add(int n, String name) {
      for (int i = 0; i < n; i++) {
        due.add(new Execution(new TaskStore.Claimed(nextId++, "q", name, "{}", 1, 3, Duration.ofMinutes(5), NOW, NOW)));
      }
    }

    @Override
    public synchronized List<Execution> claim(String queue, int want) {
      wants.add(want);
      List<Execution> out = new ArrayList<>();
      while (out.size() < want && !due.isEmpty()) {
        out.add(due.poll());
      }
      return out;
    }
  }
}
