package io.mingus.tasks.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mingus.db.Session;
import io.mingus.db.TestEngine;
import io.mingus.tasks.FailureKind;
import io.mingus.tasks.TaskRecord;
import io.mingus.tasks.TaskState;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The statements of both stores, one by one: the engines must agree on every outcome. */
// also run through PgBouncer in transaction pooling: the pgbouncer execution of the module's pom
@org.junit.jupiter.api.Tag("pgbouncer")
class TaskStoreTest {
  private static final Instant T0 = StoreFixture.t0();

  private static TaskStore.NewTask task(String queue, int priority, Instant runAt, String key) {
    return new TaskStore.NewTask(queue, "test.task", "{\"n\":1}", priority, 3, Duration.ofSeconds(30), runAt, key, T0);
  }

  private static long insert(StoreFixture f, TaskStore.NewTask t) {
    try {
      return f.db.fromTransaction(s -> f.store.insert(s, t));
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_claim_takes_due_tasks_of_its_queue_and_names_by_priority_then_run_at(TestEngine engine) {
    try (StoreFixture f = StoreFixture.open(engine)) {
      long late = insert(f, task("q", 0, T0.minusSeconds(10), null));
      long early = insert(f, task("q", 0, T0.minusSeconds(20), null));
      long urgent = insert(f, task("q", 5, T0, null));
      insert(f, task("q", 9, T0.plusSeconds(1), null));
      insert(f, task("other", 9, T0, null));
      f.insert("q", "test.unknown", "{}", 3, T0);

      List<TaskStore.Claimed> claimed = f.claim("q", "test.task", 10, "w1", T0);

      assertThat(claimed).extracting(TaskStore.Claimed::id).containsExactly(urgent, early, late);
      TaskStore.Claimed c = claimed.getFirst();
      assertThat(c.attempt()).as("the new attempt's number").isEqualTo(1);
      assertThat(c.maxAttempts()).isEqualTo(3);
      assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(30));
      assertThat(c.payload().replace(" ", "")).isEqualTo("{\"n\":1}");
      TaskRecord row = f.task(urgent);
      assertThat(row.state()).isEqualTo(TaskState.RUNNING);
      assertThat(row.leaseOwner()).isEqualTo("w1");
      assertThat(row.heartbeatAt()).isEqualTo(T0);
      assertThat(row.startedAt()).isEqualTo(T0);
      assertThat(f.claim("q", "test.task", 10, "w2", T0)).as("nothing left that is due").isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_claim_takes_at_most_its_limit(TestEngine engine) {
    try (StoreFixture f = StoreFixture.open(engine)) {
      for (int i = 0; i < 7; i++) {
        insert(f, task("q", 0, T0, null));
      }
      assertThat(f.claim("q", "test.task", 3, "w1", T0)).hasSize(3);
      assertThat(f.claim("q", "test.task", 10, "w2", T0)).hasSize(4);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_unique_key_taken_returns_the_first_tasks_id(TestEngine engine) {
    try (StoreFixture f = StoreFixture.open(engine)) {
      long first = insert(f, task("q", 0, T0, "k"));
      assertThat(insert(f, task("q", 0, T0, "k"))).isEqualTo(first);
      assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks")).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void outcomes_are_fenced_by_attempt_and_lease_owner(TestEngine engine) {
    try (StoreFixture f = StoreFixture.open(engine)) {
      insert(f, task("q", 0, T0, null));
      TaskStore.Claimed c = f.claim("q", "test.task", 1, "w1", T0).getFirst();
      TaskStore.Claimed stale = new TaskStore.Claimed(c.id(), c.queue(), c.name(), c.payload(), c.attempt() + 1,
          c.maxAttempts(), c.timeout(), c.runAt(), c.createdAt());
      TaskFailure failure = new TaskFailure(FailureKind.TASK, true, "boom", "stack");
      Instant later = T0.plusSeconds(5);

      f.db.inTransaction(s -> {
        assertThat(f.store.succeed(s, c, "w2", later)).as("another owner").isZero();
        assertThat(f.store.succeed(s, stale, "w1", later)).as("another attempt").isZero();
        assertThat(f.store.fail(s, c, "w2", later, failure)).isZero();
        assertThat(f.store.retryLater(s, c, "w2", later, failure)).isZero();
        assertThat(f.store.giveBack(s, c, "w2", later)).isZero();
        assertThat(f.store.retryLater(s, c, "w1", later, failure)).isEqualTo(1);
        assertThat(f.store.succeed(s, c, "w1", later)).as("no longer running").isZero();
      });
      TaskRecord t = f.task(c.id());
      assertThat(t.state()).isEqualTo(TaskState.QUEUED);
      assertThat(t.runAt()).isEqualTo(later);
      assertThat(t.lastErrorKind()).isEqualTo(FailureKind.TASK);
      assertThat(t.lastErrorMessage()).isEqualTo("boom");
      assertThat(t.lastErrorStack()).isEqualTo("stack");
      assertThat(t.heartbeatAt()).isNull();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_task_given_back_is_queued_with_its_attempt_not_counted(TestEngine engine) {
    try (StoreFixture f = StoreFixture.open(engine)) {
      insert(f, task("q", 0, T0, null));
      TaskStore.Claimed c = f.claim("q", "test.task", 1, "w1", T0).getFirst();

      f.db.inTransaction(s -> assertThat(f.store.giveBack(s, c, "w1", T0.plusSeconds(2))).isEqualTo(1));

      TaskRecord t = f.task(c.id());
      assertThat(t.state()).isEqualTo(TaskState.QUEUED);
      assertThat(t.attempt()).isZero();
      assertThat(t.leaseOwner()).isNull();
      assertThat(t.runAt()).isEqualTo(T0.plusSeconds(2));
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_batch_completion_completes_only_the_attempts_this_worker_still_holds(TestEngine engine) {
    try (StoreFixture f = StoreFixture.open(engine)) {
      for (int i = 0; i < 3; i++) {
        insert(f, task("q", 0, T0, null));
      }
      List<TaskStore.Claimed> claimed = f.claim("q", "test.task", 3, "w1", T0);
      long lost = claimed.get(1).id();
      f.db.inTransaction(s -> s.update("UPDATE mingus_tasks SET lease_owner = 'w2' WHERE id = ?", lost));

      List<Long> done = f.tx(s -> f.store.succeedAll(s, claimed, "w1", T0.plusSeconds(1)));

      assertThat(done).containsExactlyInAnyOrder(claimed.get(0).id(), claimed.get(2).id());
      assertThat(f.tasksIn(TaskState.SUCCEEDED)).isEqualTo(2);
      assertThat(f.task(lost).state()).isEqualTo(TaskState.RUNNING);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_batch_completion_skips_an_attempt_that_is_not_the_current_one(TestEngine engine) {
    try (StoreFixture f = StoreFixture.open(engine)) {
      insert(f, task("q", 0, T0, null));
      insert(f, task("q", 0, T0, null));
      List<TaskStore.Claimed> claimed = f.claim("q", "test.task", 2, "w1", T0);
      TaskStore.Claimed old = claimed.get(0);
      TaskStore.Claimed stale = new TaskStore.Claimed(old.id(), old.queue(), old.name(), old.payload(),
          old.attempt() + 1, old.maxAttempts(), old.timeout(), old.runAt(), old.createdAt());

      List<Long> done = f.tx(s -> f.store.succeedAll(s, List.of(stale, claimed.get(1)), "w1", T0));

      assertThat(done).containsExactly(claimed.get(1).id());
      assertThat(f.task(old.id()).state()).isEqualTo(TaskState.RUNNING);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_fence_returns_the_attempts_still_held_and_locks_their_rows(TestEngine engine) throws Exception {
    try (StoreFixture f = StoreFixture.open(engine)) {
      for (int i = 0; i < 3; i++) {
        insert(f, task("q", 0, T0, null));
      }
      List<TaskStore.Claimed> claimed = f.claim("q", "test.task", 3, "w1", T0);
      long lost = claimed.get(2).id();
      f.db.inTransaction(s -> s.update("UPDATE mingus_tasks SET lease_owner = 'w2' WHERE id = ?", lost));

      f.db.inTransaction(s -> {
        assertThat(f.store.fence(s, claimed, "w1")).containsExactly(claimed.get(0).id(), claimed.get(1).id());
        // another transaction (a rescuer) skips the fenced rows while this one is open
        try (var c = f.testDb.rawConnection(); var st = c.createStatement()) {
          c.setAutoCommit(false);
          var rs = st.executeQuery("SELECT id FROM mingus_tasks WHERE state = 'running' ORDER BY id"
              + " FOR UPDATE SKIP LOCKED");
          List<Long> free = new java.util.ArrayList<>();
          while (rs.next()) {
            free.add(rs.getLong(1));
          }
          c.rollback();
          assertThat(free).containsExactly(lost);
        }
      });
      List<Long> none = f.tx(s -> f.store.fence(s, List.of(), "w1"));
      assertThat(none).isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_heartbeat_refreshes_only_the_owners_running_tasks(TestEngine engine) {
    try (StoreFixture f = StoreFixture.open(engine)) {
      insert(f, task("q", 0, T0, null));
      insert(f, task("q", 0, T0, null));
      long mine = f.claim("q", "test.task", 1, "w1", T0).getFirst().id();
      long theirs = f.claim("q", "test.task", 1, "w2", T0).getFirst().id();
      Instant later = T0.plusSeconds(10);

      int n = f.tx(s -> f.store.heartbeat(s, "w1", List.of(mine, theirs), later));

      assertThat(n).isEqualTo(1);
      assertThat(f.task(mine).heartbeatAt()).isEqualTo(later);
      assertThat(f.task(theirs).heartbeatAt()).isEqualTo(T0);
      assertThat(f.tx((Session s) -> f.store.stale(s, later, 10))).extracting(TaskStore.Stale::id)
          .containsExactly(theirs);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void admin_statements_list_count_retry_cancel_and_prune(TestEngine engine) {
    try (StoreFixture f = StoreFixture.open(engine)) {
      long a = insert(f, task("a", 0, T0, null));
      long b = insert(f, task("b", 0, T0, null));
      long c = insert(f, task("b", 0, T0, null));
      Instant later = T0.plusSeconds(60);
      f.db.inTransaction(s -> {
        assertThat(f.store.cancel(s, b, later)).isTrue();
        assertThat(f.store.cancel(s, b, later)).isFalse();
      });
      f.claim("b", "test.task", 1, "w1", T0);

      assertThat(f.tx((Session s) -> f.store.counts(s, false))).isEqualTo(Map.of(
          "a", Map.of(TaskState.QUEUED, 1L), "b", Map.of(TaskState.CANCELLED, 1L, TaskState.RUNNING, 1L)));
      assertThat(f.tx((Session s) -> f.store.counts(s, true))).isEqualTo(Map.of(
          "a", Map.of(TaskState.QUEUED, 1L), "b", Map.of(TaskState.RUNNING, 1L)));
      assertThat(f.tx((Session s) -> f.store.list(s, null, null, 10))).extracting(TaskRecord::id)
          .containsExactly(c, b, a);
      assertThat(f.tx((Session s) -> f.store.list(s, TaskState.QUEUED, "a", 10))).extracting(TaskRecord::id)
          .containsExactly(a);
      assertThat(f.tx((Session s) -> f.store.find(s, -1))).isEmpty();

      f.db.inTransaction(s -> assertThat(f.store.retry(s, b, later)).isTrue());
      TaskRecord retried = f.task(b);
      assertThat(retried.state()).isEqualTo(TaskState.QUEUED);
      assertThat(retried.runAt()).isEqualTo(later);
      assertThat(retried.finishedAt()).isNull();

      f.db.inTransaction(s -> f.store.cancel(s, a, later));
      assertThat(f.tx((Session s) -> f.store.prune(s, later, 10))).as("finished before the cutoff only")
          .isZero();
      assertThat(f.tx((Session s) -> f.store.prune(s, later.plusSeconds(1), 10))).isEqualTo(1);
      assertThat(f.tx((Session s) -> f.store.find(s, a))).isEmpty();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void the_driver_tells_whether_a_transaction_wrote(TestEngine engine) {
    try (StoreFixture f = StoreFixture.open(engine)) {
      f.db.inTransaction(s -> {
        assertThat(f.store.hasWrites(s)).isFalse();
        s.update("INSERT INTO witness (n) VALUES (1)");
        assertThat(f.store.hasWrites(s)).isTrue();
      });
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void notifications_are_postgresqls_alone_and_name_the_schema(TestEngine engine) {
    try (StoreFixture f = StoreFixture.open(engine)) {
      assertThat(f.store.notifies()).isEqualTo(engine == TestEngine.POSTGRESQL);
      if (f.store.notifies()) {
        assertThat(f.store.channel()).isEqualTo("mingus_tasks_" + f.db.config().schema());
        f.db.inTransaction(s -> f.store.notifyQueues(s, List.of("a", "b")));
      } else {
        assertThatThrownBy(() -> f.db.inTransaction(s -> f.store.notifyQueues(s, List.of("a"))))
            .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("poll");
      }
    }
  }
}
