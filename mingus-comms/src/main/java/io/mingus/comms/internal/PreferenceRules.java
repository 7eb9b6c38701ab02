package io.mingus.comms.internal;

import io.mingus.comms.Channel;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.Optional;

/**
 * The preference rules a send task applies before it calls a provider, in order: the channel is
 * switched off; the user's local time is inside the quiet hours; the daily limit is reached.
 * Pure functions of their arguments; thread-safe.
 *
 * @param smsEnabled whether SMS may be sent
 * @param emailEnabled whether email may be sent
 * @param quietStart start of the quiet hours (inclusive), or {@code null}
 * @param quietEnd end of the quiet hours (exclusive), or {@code null}
 * @param dailyLimit the most communications sent per local day
 */
public record PreferenceRules(boolean smsEnabled, boolean emailEnabled, LocalTime quietStart, LocalTime quietEnd,
    int dailyLimit) {

  /** The defaults of a user with no preferences row. */
  public static PreferenceRules defaults() {
    return new PreferenceRules(true, true, null, null, PreferencesEntity.DEFAULT_DAILY_LIMIT);
  }

  /** Why the channel or the hour forbids sending now, or empty. */
  public Optional<String> forbids(Channel channel, Instant now, ZoneId zone) {
    boolean enabled = switch (channel) {
      case SMS -> smsEnabled;
      case EMAIL -> emailEnabled;
    };
    if (!enabled) {
      return Optional.of("opted out: " + channel.label() + " is disabled in the user's preferences");
    }
    LocalTime local = now.atZone(zone).toLocalTime();
    if (inQuietHours(local)) {
      return Optional.of("quiet hours: " + local.withNano(0) + " in " + zone + " is within " + quietStart + "-"
          + quietEnd);
    }
    return Optional.empty();
  }

  /** Why {@code sentToday} forbids one more, or empty. */
  public Optional<String> limitReached(long sentToday) {
    return sentToday >= dailyLimit
        ? Optional.of("daily limit: " + sentToday + " sent today, the limit is " + dailyLimit)
        : Optional.empty();
  }

  /** Whether {@code t} is in [start, end); a window whose end is not after its start wraps midnight. */
  boolean inQuietHours(LocalTime t) {
    if (quietStart == null || quietEnd == null || quietStart.equals(quietEnd)) {
      return false;
    }
    return quietStart.isBefore(quietEnd)
        ? !t.isBefore(quietStart) && t.isBefore(quietEnd)
        : !t.isBefore(quietStart) || t.isBefore(quietEnd);
  }

  /** The start of the local day that contains {@code now}. */
  public static Instant startOfDay(Instant now, ZoneId zone) {
    LocalDate day = now.atZone(zone).toLocalDate();
    return day.atStartOfDay(zone).toInstant();
  }
}
