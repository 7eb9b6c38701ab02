package io.mingus.comms;

import java.time.Instant;

/**
 * How much a user has been reached: counts of sent communications.
 *
 * @param userId the user
 * @param totalCommunications communications sent, all channels
 * @param smsCount SMS sent
 * @param emailCount emails sent
 * @param lastActivity when the last one was sent, or {@code null}
 */
public record Engagement(long userId, long totalCommunications, long smsCount, long emailCount,
    Instant lastActivity) {}
