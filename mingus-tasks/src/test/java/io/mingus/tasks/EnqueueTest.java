package io.mingus.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mingus.db.TestEngine;
import io.mingus.db.TransactionOptions;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
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
  /** The caller's row of {@link #enqueueWithRow}: a row of table {@code effect}, naming the new task. */
  private static final String EFFECT_ROW = "INSERT INTO effect (task_id, worker, attempt) SELECT new_task.id, ?, ?"
      + " FROM new_task WHERE NOT EXISTS (SELECT 1 FROM effect WHERE worker = ?) RETURNING task_id";

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void enqueue_with_a_row_writes_both_in_one_statement_or_neither(TestEngine engine) {
    try (Fixture f = Fixture.open(engine)) {
      TransactionOptions single = TransactionOptions.named("test.enqueue-with-row").withSingleStatement(true);
      if (engine == TestEngine.H2) {
        assertThatThrownBy(() -> f.db.fromTransaction(single, s -> f.queue.enqueueWithRow(s, EFFECT_ROW,
            List.of("a", 1, "a"), witness, new Tasks.N(1), TaskOptions.defaults())))
            .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("needs PostgreSQL");
        assertThat(f.count("SELECT COUNT(*) FROM effect")).isZero();
        assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks")).isZero();
        return;
      }
      OptionalLong first = f.db.fromTransaction(single, s -> f.queue.enqueueWithRow(s, EFFECT_ROW,
          List.of("a", 1, "a"), witness, new Tasks.N(1), TaskOptions.defaults().withQueue("mail")));
      assertThat(first).isPresent();
      TaskRecord t = f.task(first.getAsLong());
      assertThat(t.state()).isEqualTo(TaskState.QUEUED);
      assertThat(t.queue()).isEqualTo("mail");
      assertThat(t.payload().replace(" ", "")).isEqualTo("{\"n\":1}");
      assertThat(f.count("SELECT task_id FROM effect WHERE worker = 'a'")).as("the row names its task")
          .isEqualTo(first.getAsLong());

      OptionalLong again = f.db.fromTransaction(single, s -> f.queue.enqueueWithRow(s, EFFECT_ROW,
          List.of("a", 2, "a"), witness, new Tasks.N(2), TaskOptions.defaults()));
      assertThat(again).as("the row statement wrote nothing, so no task").isEmpty();

      assertThatThrownBy(() -> f.db.inTransaction(s -> {
        f.queue.enqueueWithRow(s, EFFECT_ROW, List.of("b", 1, "b"), witness, new Tasks.N(3), TaskOptions.defaults());
        throw new IllegalStateException("the caller's work failed");
      })).hasMessage("the caller's work failed");

      f.queue.enqueue(witness, new Tasks.N(4), TaskOptions.defaults().withUniqueKey("taken"));
      assertThatThrownBy(() -> f.db.fromTransaction(single, s -> f.queue.enqueueWithRow(s, EFFECT_ROW,
          List.of("c", 1, "c"), witness, new Tasks.N(5), TaskOptions.defaults().withUniqueKey("taken"))))
          .isInstanceOf(TaskException.class).hasMessageContaining("with a row").hasMessageContaining("23505");

      assertThat(f.count("SELECT COUNT(*) FROM effect")).as("only the first row").isEqualTo(1);
      assertThat(f.count("SELECT COUNT(*) FROM mingus_tasks")).as("the first task and the keyed one").isEqualTo(2);
    }
  }
}
