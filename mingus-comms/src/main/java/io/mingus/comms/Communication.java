package io.mingus.comms;

import java.time.Instant;

/**
 * The record of one communication (a row of communication_metrics), with the text it carries.
 * Message texts are data: they are stored and returned, but never logged.
 *
 * @param id the communication's id, also the idempotency key handed to the provider
 * @param userId the recipient
 * @param channel SMS or email
 * @param messageType the kind of message
 * @param status where it stands
 * @param provider the name of the provider that handled it, or {@code null} while queued
 * @param providerMessageId the provider's id of the message, or {@code null}
 * @param error why it failed or was suppressed, or {@code null}
 * @param idempotencyKey the caller's idempotency key, or {@code null}
 * @param createdAt when it was recorded
 * @param sentAt when the provider accepted it, or {@code null}
 * @param subject the subject of an email, or {@code null}
 * @param message the text, exactly as it was sent
 * @param taskId the id of its send task, or {@code null}
 */
public record Communication(long id, long userId, Channel channel, String messageType,
    CommunicationStatus status, String provider, String providerMessageId, String error,
    String idempotencyKey, Instant createdAt, Instant sentAt, String subject, String message,
    Long taskId) {}
