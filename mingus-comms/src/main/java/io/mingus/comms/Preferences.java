package io.mingus.comms;

import java.time.Instant;
import java.time.LocalTime;

/**
 * A user's communication preferences. Quiet hours are local times in the user's time zone; a
 * window whose end is before its start wraps midnight ({@code 22:00-07:00}).
 *
 * @param userId the user
 * @param smsEnabled whether SMS may be sent
 * @param emailEnabled whether email may be sent
 * @param quietHoursStart start of the quiet hours (inclusive), or {@code null} for none
 * @param quietHoursEnd end of the quiet hours (exclusive), or {@code null} for none
 * @param dailyLimit the most communications sent per local day, over all channels
 * @param lastSmsSent when the last SMS was sent, or {@code null}
 * @param lastEmailSent when the last email was sent, or {@code null}
 * @param updatedAt when these preferences last changed
 */
public record Preferences(long userId, boolean smsEnabled, boolean emailEnabled,
    LocalTime quietHoursStart, LocalTime quietHoursEnd, int dailyLimit,
    Instant lastSmsSent, Instant lastEmailSent, Instant updatedAt) {}
