package io.mingus.comms;

import java.time.LocalTime;

/**
 * A partial update of {@link Preferences}: a {@code null} component leaves its value unchanged.
 * Quiet hours are set as a pair (both or neither); {@code clearQuietHours} removes them.
 *
 * @param smsEnabled whether SMS may be sent, or {@code null}
 * @param emailEnabled whether email may be sent, or {@code null}
 * @param quietHoursStart the new start of the quiet hours, or {@code null}
 * @param quietHoursEnd the new end of the quiet hours, or {@code null}
 * @param dailyLimit the new daily limit (0 to 10,000), or {@code null}
 * @param clearQuietHours whether to remove the quiet hours
 */
public record PreferencesUpdate(Boolean smsEnabled, Boolean emailEnabled, LocalTime quietHoursStart,
    LocalTime quietHoursEnd, Integer dailyLimit, boolean clearQuietHours) {}
