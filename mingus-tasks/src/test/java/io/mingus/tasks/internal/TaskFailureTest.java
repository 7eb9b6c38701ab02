package io.mingus.tasks.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.mingus.db.ErrorKind;
import io.mingus.tasks.FailureKind;
import io.mingus.tasks.Task;
import io.mingus.tasks.TaskContext;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** How a failed attempt is classified and recorded, without running anything. */
class TaskFailureTest {

  /** A task that declares IllegalStateException retryable, and whose check may itself throw. */
  private static final Task<String> DECLARING = new Task<>() {
    @Override
    public String name() {
      return "test.declaring";
    }

    @Override
    public Class<String> payloadType() {
      return String.class;
    }

    @Override
    public void run(TaskContext ctx, String p) {}

    @Override
    public boolean isRetryable(Throwable failure) {
      if (failure instanceof UnsupportedOperationException) {
        throw new IllegalStateException("a broken isRetryable");
      }
      return failure instanceof IllegalStateException;
    }
  };

  @Test
  void every_database_error_kind_keeps_its_name_as_a_failure_kind() {
    for (ErrorKind k : ErrorKind.values()) {
      assertThat(FailureKind.of(k).name()).isEqualTo(k.name());
    }
  }

  @Test
  void a_stored_kind_reads_back_and_one_from_a_newer_release_reads_as_unknown() {
    assertThat(FailureKind.ofStored("RESCUED")).isEqualTo(FailureKind.RESCUED);
    assertThat(FailureKind.ofStored("SOMETHING_NEW")).isEqualTo(FailureKind.UNKNOWN);
    assertThat(FailureKind.ofStored(null)).isNull();
  }

  @Test
  void retryable_database_errors_are_retried_and_others_are_not() {
    TaskFailure deadlock = TaskFailure.of(new SQLException("deadlock detected", "40P01"), DECLARING, false);
    assertThat(deadlock.kind()).isEqualTo(FailureKind.DEADLOCK);
    assertThat(deadlock.retryable()).isTrue();
    assertThat(deadlock.message()).isEqualTo("java.sql.SQLException: deadlock detected");
    assertThat(deadlock.stack()).contains("TaskFailureTest");

    TaskFailure integrity = TaskFailure.of(new SQLException("duplicate key", "23505"), null, false);
    assertThat(integrity.kind()).isEqualTo(FailureKind.INTEGRITY);
    assertThat(integrity.retryable()).isFalse();
  }

  @Test
  void a_timeout_wins_over_whatever_the_interrupted_task_threw() {
    TaskFailure f = TaskFailure.of(new InterruptedException(), DECLARING, true);
    assertThat(f.kind()).isEqualTo(FailureKind.TIMEOUT);
    assertThat(f.retryable()).isTrue();
    assertThat(TaskFailure.of(new TaskFailure.TimeoutException("late"), null, false).kind())
        .isEqualTo(FailureKind.TIMEOUT);
  }

  @Test
  void the_task_decides_about_its_own_failures() {
    assertThat(TaskFailure.of(new IllegalStateException("busy"), DECLARING, false))
        .extracting(TaskFailure::kind, TaskFailure::retryable).containsExactly(FailureKind.TASK, true);
    assertThat(TaskFailure.of(new IllegalArgumentException("bad phone"), DECLARING, false))
        .extracting(TaskFailure::kind, TaskFailure::retryable).containsExactly(FailureKind.VALIDATION, false);
    assertThat(TaskFailure.of(new RuntimeException("?"), DECLARING, false))
        .extracting(TaskFailure::kind, TaskFailure::retryable).containsExactly(FailureKind.UNKNOWN, false);
    assertThat(TaskFailure.of(new TaskFailure.PayloadException("unreadable", null), DECLARING, false))
        .extracting(TaskFailure::kind, TaskFailure::retryable).containsExactly(FailureKind.PAYLOAD, false);
  }

  @Test
  void a_broken_is_retryable_counts_as_not_retryable_and_is_kept_as_suppressed() {
    UnsupportedOperationException failure = new UnsupportedOperationException("nope");
    TaskFailure f = TaskFailure.of(failure, DECLARING, false);
    assertThat(f.retryable()).isFalse();
    assertThat(failure.getSuppressed()).extracting(Throwable::getMessage).containsExactly("a broken isRetryable");
  }

  @Test
  void long_messages_and_stacks_are_trimmed() {
    TaskFailure f = TaskFailure.of(new RuntimeException("x".repeat(10_000)), null, false);
    assertThat(f.message()).hasSizeLessThanOrEqualTo(TaskFailure.MAX_MESSAGE).hasSizeGreaterThan(1900)
        .endsWith("... (trimmed)");
    assertThat(f.stack().length()).isLessThanOrEqualTo(TaskFailure.MAX_STACK);
    assertThat(TaskFailure.trim(null, 10)).isNull();
  }
}
