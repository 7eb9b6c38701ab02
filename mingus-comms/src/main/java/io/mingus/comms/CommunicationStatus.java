package io.mingus.comms;

import java.util.Locale;

/**
 * Where a communication stands. {@link #QUEUED} until its send task runs; {@link #SENDING} while
 * the provider is called; then {@link #SENT}, {@link #FAILED} (the provider refused it for good) or
 * {@link #SUPPRESSED} (a preference of the user forbade it). In JSON and in the database: the
 * lower-case name.
 */
public enum CommunicationStatus {
  /** Recorded; its send task has not started yet. */
  QUEUED,
  /**
   * Reserved (counted against the daily limit): the provider is being called. It stays so while
   * the send is retried after a provider outage, or after its worker stopped mid-call and until the
   * task is rescued and calls again with the same idempotency key.
   */
  SENDING,
  /** Handed to the provider, which accepted it. */
  SENT,
  /** The provider refused it permanently; the reason is in {@code error}. */
  FAILED,
  /** Not sent because of the user's preferences; the reason is in {@code error}. */
  SUPPRESSED;

  /** The lower-case name used in JSON and in the database. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether this status is an outcome: sent, failed or suppressed (not queued or sending). */
  public boolean isFinal() {
    return this != QUEUED && this != SENDING;
  }

  /**
   * The status of a label such as {@code "sent"} (case-insensitive).
   *
   * @throws IllegalArgumentException when the label names no status
   */
  public static CommunicationStatus of(String label) {
    for (CommunicationStatus s : values()) {
      if (s.label().equalsIgnoreCase(label)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown status '" + label + "'; allowed: queued, sending, sent, failed, suppressed");
  }
}
