package io.mingus.tasks;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * How one task is enqueued. Immutable and validated; start from {@link #defaults()}:
 *
 * <pre>{@code
 * TaskOptions.defaults().withQueue("sms").withDelay(Duration.ofMinutes(5)).withUniqueKey("welcome:" + userId)
 * }</pre>
 *
 * @param queue the queue (workers serve named queues); not blank, at most 100 characters
 * @param priority higher runs first among tasks due on the same queue
 * @param delay run no earlier than this after enqueueing; {@code null} or zero for now. Ignored when {@code runAt} is set
 * @param runAt run no earlier than this instant, or {@code null}
 * @param maxAttempts attempts in all, including the first; at least 1
 * @param uniqueKey at most one task with this key exists at a time (until it is pruned); {@code null} for none
 * @param timeout how long one attempt may run before it is interrupted and fails as a timeout (retryable)
 */
public record TaskOptions(String queue, int priority, Duration delay, Instant runAt, int maxAttempts,
    String uniqueKey, Duration timeout) {

  private static final TaskOptions DEFAULTS =
      new TaskOptions("default", 0, null, null, 5, null, Duration.ofMinutes(5));

  /** Validates every field; a bad value is refused, never clamped. */
  public TaskOptions {
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(timeout, "timeout");
    if (queue.isBlank() || queue.length() > 100) {
      throw new IllegalArgumentException("queue must be 1 to 100 characters and not blank, was '" + queue + "'");
    }
    if (delay != null && delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative, was " + delay);
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
    }
    if (uniqueKey != null && (uniqueKey.isBlank() || uniqueKey.length() > 200)) {
      throw new IllegalArgumentException("uniqueKey must be 1 to 200 characters and not blank when set");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, was " + timeout);
    }
  }

  /** Queue {@code default}, priority 0, no delay, 5 attempts, no unique key, a 5-minute timeout. */
  public static TaskOptions defaults() {
    return DEFAULTS;
  }

  /** These options on another queue. */
  public TaskOptions withQueue(String q) {
    return new TaskOptions(q, priority, delay, runAt, maxAttempts, uniqueKey, timeout);
  }

  /** These options with another priority; higher runs first. */
  public TaskOptions withPriority(int p) {
    return new TaskOptions(queue, p, delay, runAt, maxAttempts, uniqueKey, timeout);
  }

  /** These options, run no earlier than {@code d} after enqueueing (clears {@code runAt}). */
  public TaskOptions withDelay(Duration d) {
    return new TaskOptions(queue, priority, d, null, maxAttempts, uniqueKey, timeout);
  }

  /** These options, run no earlier than {@code t} (clears {@code delay}). */
  public TaskOptions withRunAt(Instant t) {
    return new TaskOptions(queue, priority, null, t, maxAttempts, uniqueKey, timeout);
  }

  /** These options with another attempt cap. */
  public TaskOptions withMaxAttempts(int n) {
    return new TaskOptions(queue, priority, delay, runAt, n, uniqueKey, timeout);
  }

  /** These options with a unique key; {@code null} for none. */
  public TaskOptions withUniqueKey(String key) {
    return new TaskOptions(queue, priority, delay, runAt, maxAttempts, key, timeout);
  }

  /** These options with another per-attempt timeout. */
  public TaskOptions withTimeout(Duration t) {
    return new TaskOptions(queue, priority, delay, runAt, maxAttempts, uniqueKey, t);
  }

  /** When the task may first run, given the enqueue time {@code now}. */
  Instant firstRunAt(Instant now) {
    if (runAt != null) {
      return runAt;
    }
    return delay == null ? now : now.plus(delay);
  }
}
