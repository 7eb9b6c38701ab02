package io.mingus.comms;

import java.util.List;

/**
 * An idempotency key that already names another request: the same key sent with a different user,
 * channel, message type, subject or message. Nothing was written; the first request's
 * communication is not returned (it may belong to another user). The HTTP API answers 422.
 */
public final class IdempotencyKeyReusedException extends CommsException {
  private static final long serialVersionUID = 1L;

  private final String field;
  private final transient List<String> differences;

  /**
   * @param field the key's field, such as {@code idempotency_key} or {@code requests[3].idempotency_key}
   * @param differences the fields that differ from the first request (names only, never values)
   */
  public IdempotencyKeyReusedException(String field, List<String> differences) {
    super(field + " was already used for a different request (" + String.join(", ", differences)
        + (differences.size() == 1 ? " differs)" : " differ)")
        + ": send a new key for a new request, or repeat the first request exactly to get its result");
    this.field = field;
    this.differences = List.copyOf(differences);
  }

  /** The key's field, such as {@code idempotency_key} or {@code requests[3].idempotency_key}. */
  public String field() {
    return field;
  }

  /** The fields that differ from the first request. */
  public List<String> differences() {
    return differences;
  }
}
