package io.mingus.comms;

/**
 * Engagement over every user: how many users there are, how many were reached lately, and the
 * communications sent to them. Immutable.
 *
 * @param users users with an engagement record (every user created through the service)
 * @param reachedLastDay users sent a communication in the last 24 hours
 * @param totalCommunications communications sent, all channels
 * @param smsCount SMS sent
 * @param emailCount emails sent
 */
public record EngagementSummary(long users, long reachedLastDay, long totalCommunications, long smsCount,
    long emailCount) {}
