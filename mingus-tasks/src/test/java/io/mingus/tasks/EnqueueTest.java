package io.mingus.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mingus.db.TestEngine;
import java.time.Duration;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

// also run through PgBouncer in transaction pooling: the pgbouncer execution of the module's pom
@org.junit.jupiter.api.Tag("pgbouncer")
class EnqueueTest {
  private final Tasks.Witness witness = new Tasks.Witness();

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void enqueue_in_a_rolled_back_transaction_leaves_no_task(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      assertThatThrownBy(() -> f.db.inTransaction(s -> {
        f.queue.enqueue(s, witness, new Tasks.N(1), TaskOptions.defaults());
        throw new IllegalStateException("the caller's work failed");
      })).hasMessage("the caller's work failed");

      assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks")).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void enqueue_in_a_committed_transaction_stores_a_queued_task_with_its_options(TestEngine engine) {
    SettableClock clock = new SettableClock(Fixture.t0());
    try (Fixture f = Fixture.open(engine, clock)) {
      long id = f.db.fromTransaction(s -> f.queue.enqueue(s, witness, new Tasks.N(7), TaskOptions.defaults()
          .withQueue("mail").withPriority(3).withDelay(Duration.ofMinutes(5)).withMaxAttempts(2)));

      TaskRecord t = f.task(id);
      assertThat(t.state()).isEqualTo(TaskState.QUEUED);
      assertThat(t.queue()).isEqualTo("mail");
      assertThat(t.name()).isEqualTo("test.witness");
      assertThat(t.payload().replace(" ", "")).isEqualTo("{\"n\":7}");
      assertThat(t.priority()).isEqualTo(3);
      assertThat(t.attempt()).isZero();
      assertThat(t.maxAttempts()).isEqualTo(2);
      assertThat(t.createdAt()).isEqualTo(Fixture.t0());
      assertThat(t.runAt()).isEqualTo(Fixture.t0().plus(Duration.ofMinutes(5)));
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_second_enqueue_with_the_same_unique_key_returns_the_first_task_and_the_transaction_goes_on(
      TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      TaskOptions keyed = TaskOptions.defaults().withUniqueKey("welcome:42");
      long[] ids = f.db.fromTransaction(s -> {
        long first = f.queue.enqueue(s, witness, new Tasks.N(1), keyed);
        long second = f.queue.enqueue(s, witness, new Tasks.N(2), keyed);
        s.update("INSERT INTO effect (task_id) VALUES (?)", second);
        return new long[] {first, second};
      });
      long third = f.queue.enqueue(witness, new Tasks.N(3), keyed);

      assertThat(ids[1]).isEqualTo(ids[0]);
      assertThat(third).isEqualTo(ids[0]);
      assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks")).isEqualTo(1);
      assertThat(f.count("SELECT COUNT(*) FROM effect")).as("the caller's transaction committed").isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void batch_enqueue_returns_the_ids_in_payload_order(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      List<Tasks.N> payloads = LongStream.range(0, 250).mapToObj(Tasks.N::new).toList();
      List<Long> ids = f.db.fromTransaction(s -> f.queue.enqueueAll(s, witness, payloads, TaskOptions.defaults()));

      assertThat(ids).hasSize(250).doesNotHaveDuplicates();
      for (int i = 0; i < ids.size(); i++) {
        TaskRecord t = f.task(ids.get(i));
        assertThat(t.payload().replace(" ", "")).isEqualTo("{\"n\":" + i + "}");
        assertThat(t.state()).isEqualTo(TaskState.QUEUED);
        assertThat(t.maxAttempts()).isEqualTo(TaskOptions.defaults().maxAttempts());
        assertThat(t.runAt()).isNotNull().isEqualTo(t.createdAt());
      }
      assertThatThrownBy(() -> f.queue.enqueueAll(witness, payloads, TaskOptions.defaults().withUniqueKey("k")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("enqueue such tasks one by one");
    }
  }
}
