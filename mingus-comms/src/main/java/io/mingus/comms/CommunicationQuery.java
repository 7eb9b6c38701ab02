package io.mingus.comms;

/**
 * A filter and a page of communications, newest first.
 *
 * @param userId only this user's, or {@code null}
 * @param status only in this status, or {@code null}
 * @param channel only on this channel, or {@code null}
 * @param limit page size, 1 to 1,000
 * @param cursor the {@link Page#nextCursor()} of the previous page, or {@code null} for the first
 */
public record CommunicationQuery(Long userId, CommunicationStatus status, Channel channel, int limit,
    String cursor) {}
