package io.mingus.comms.internal;

import io.mingus.comms.Channel;
import io.mingus.comms.CommunicationStatus;
import java.time.Instant;

/**
 * A communication_metrics row to insert, already validated.
 *
 * @param status {@code QUEUED} for a send; {@code CommunicationTransactions.record} records any outcome
 */
public record NewCommunication(long userId, Channel channel, String messageType, String subject, String message,
    String idempotencyKey, CommunicationStatus status, Instant createdAt) {}
