package io.mingus.tasks.internal;

import java.util.Locale;

/** How one attempt ended, as the {@code outcome} tag of {@code mingus.tasks.run} and {@code mingus.tasks.outcomes}. */
public enum Outcome {
  /** It committed with its completion (or handed it to the batch completer). */
  SUCCEEDED,
  /** It failed and was queued again with backoff. */
  RETRIED,
  /** It failed for good. */
  FAILED,
  /** Its lease passed to another worker before it could record anything: nothing of it committed. */
  LEASE_LOST,
  /** Shutdown interrupted it and gave its attempt back. */
  GIVEN_BACK;

  private final String label = name().toLowerCase(Locale.ROOT);

  /** The tag value: the lower-case name ({@code lease_lost}). */
  public String label() {
    return label;
  }
}
