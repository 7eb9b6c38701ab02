package io.mingus.comms.internal;

import io.mingus.comms.Channel;
import io.mingus.comms.CommunicationStatus;
import io.mingus.comms.Communication;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A communication_metrics row to insert, already validated.
 *
 * @param status {@code QUEUED} for a send; {@code CommunicationTransactions.record} records any outcome
 */
public record NewCommunication(long userId, Channel channel, String messageType, String subject, String message,
    String idempotencyKey, CommunicationStatus status, Instant createdAt) {

  /**
   * The fields (JSON names) in which this request differs from {@code first}, the communication
   * that already holds its idempotency key; empty when it is the same request.
   */
  public List<String> differencesFrom(Communication first) {
    return differences(first.userId(), first.channel(), first.messageType(), first.subject(), first.message());
  }

  /** The same, against an earlier request of the same batch. */
  public List<String> differencesFrom(NewCommunication first) {
    return differences(first.userId(), first.channel(), first.messageType(), first.subject(), first.message());
  }

  private List<String> differences(long userId, Channel channel, String messageType, String subject,
      String message) {
    List<String> out = new ArrayList<>(2);
    if (userId != this.userId) {
      out.add("user_id");
    }
    if (channel != this.channel) {
      out.add("channel");
    }
    if (!Objects.equals(messageType, this.messageType)) {
      out.add("message_type");
    }
    if (!Objects.equals(subject, this.subject)) {
      out.add("subject");
    }
    if (!Objects.equals(message, this.message)) {
      out.add("message");
    }
    return out;
  }
}
