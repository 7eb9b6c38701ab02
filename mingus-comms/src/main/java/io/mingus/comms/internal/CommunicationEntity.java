package io.mingus.comms.internal;

import io.mingus.comms.Channel;
import io.mingus.comms.Communication;
import io.mingus.comms.CommunicationStatus;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A row of {@code communication_metrics}, read through the ORM. The hot writes (the idempotent
 * insert, JDBC batches, the send task's status change) are plain SQL in {@link CommunicationStore}.
 * Not thread-safe (a Hibernate entity).
 */
@Entity
@Table(name = "communication_metrics")
public class CommunicationEntity {
  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  private Long id;

  @Column(name = "user_id", nullable = false)
  private long userId;

  @Column(name = "message_type", nullable = false, length = 50)
  private String messageType;

  @Column(nullable = false, length = 8)
  private String channel;

  @Column(nullable = false, length = 12)
  private String status;

  @Column(length = 200)
  private String subject;

  @Column(nullable = false, length = 100_000)
  private String message;

  @Column(length = 50)
  private String provider;

  @Column(name = "provider_message_id", length = 255)
  private String providerMessageId;

  @Column(length = 1000)
  private String error;

  @Column(name = "idempotency_key", length = 255)
  private String idempotencyKey;

  @Column(name = "created_at", nullable = false)
  private Instant createdAt;

  @Column(name = "sent_at")
  private Instant sentAt;

  @Column(name = "task_id")
  private Long taskId;

  protected CommunicationEntity() {}

  /** The API view. */
  public Communication toCommunication() {
    return new Communication(id, userId, Channel.of(channel), messageType, CommunicationStatus.of(status), provider,
        providerMessageId, error, idempotencyKey, createdAt, sentAt, subject, message, taskId);
  }
}
