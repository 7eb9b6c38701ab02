package io.mingus.tasks;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.Month;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneRules;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A five-field cron expression: {@code minute hour day-of-month month day-of-week}, each a {@code
 * *}, a value, a range {@code a-b}, a step {@code * /n} or {@code a-b/n}, or a comma-separated list of
 * these; months and days of week also by three-letter names ({@code JAN}, {@code MON}); Sunday is 0
 * or 7. The macros {@code @hourly}, {@code @daily}, {@code @weekly}, {@code @monthly} and {@code
 * @yearly} are accepted. Immutable and thread-safe.
 *
 * <p>Days follow cronie (and Vixie cron): a day field counts as restricted unless it starts with
 * {@code *}; when both are restricted a day matches either ({@code 0 0 1 * MON}: the 1st and every
 * Monday), otherwise both must match ({@code 0 0 * /2 * MON}: Mondays with an odd date).
 *
 * <p>Times are wall-clock times in the schedule's zone. A time the clock skips (spring forward)
 * fires once, when the clock jumps over it; a time the clock passes twice (fall back) fires once,
 * at its first pass, unless the hour field starts with {@code *}: then, as in cronie, it fires in
 * both passes. An expression that can never match (such as February 30) is refused when parsed.
 */
record Cron(String expression, ZoneId zone, BitSet minutes, BitSet hours, BitSet days, BitSet months,
    BitSet weekdays, boolean daysRestricted, boolean weekdaysRestricted, boolean everyHour) {

  private static final Map<String, String> MACROS = Map.of("@hourly", "0 * * * *", "@daily", "0 0 * * *",
      "@midnight", "0 0 * * *", "@weekly", "0 0 * * 0", "@monthly", "0 0 1 * *", "@yearly", "0 0 1 1 *",
      "@annually", "0 0 1 1 *");
  private static final List<String> MONTHS =
      List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC");
  private static final List<String> DAYS = List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");

  /**
   * Parses {@code expression} in {@code zone}.
   *
   * @throws IllegalArgumentException naming the bad field and the allowed form
   */
  static Cron parse(String expression, ZoneId zone) {
    String expr = MACROS.getOrDefault(expression.trim().toLowerCase(Locale.ROOT), expression.trim());
    String[] f = expr.split("\\s+");
    if (f.length != 5) {
      throw new IllegalArgumentException("cron expression '" + expression + "' has " + f.length
          + " fields; write five: minute hour day-of-month month day-of-week, such as '*/5 * * * *'");
    }
    BitSet weekdays = field(expression, "day-of-week", f[4], 0, 7, DAYS);
    if (weekdays.get(7)) {
      weekdays.set(0);
    }
    return new Cron(expression, zone, field(expression, "minute", f[0], 0, 59, null),
        field(expression, "hour", f[1], 0, 23, null), field(expression, "day-of-month", f[2], 1, 31, null),
        field(expression, "month", f[3], 1, 12, MONTHS), weekdays, !f[2].startsWith("*"), !f[4].startsWith("*"),
        f[1].startsWith("*")).requireSatisfiable();
  }

  /** Refuses a day-of-month that no month of the expression has (February 30, April 31). */
  private Cron requireSatisfiable() {
    if (daysRestricted && weekdaysRestricted) {
      return this;
    }
    for (int m = months.nextSetBit(1); m >= 0; m = months.nextSetBit(m + 1)) {
      int next = days.nextSetBit(1);
      if (next >= 1 && next <= Month.of(m).maxLength()) {
        return this;
      }
    }
    throw new IllegalArgumentException("cron expression '" + expression + "' never matches: no month of its month"
        + " field has a day of its day-of-month field (such as February 30); fix the day or the month");
  }

  private static BitSet field(String expr, String name, String text, int min, int max, List<String> names) {
    BitSet bits = new BitSet(max + 1);
    for (String part : text.split(",", -1)) {
      try {
        int step = 1;
        String range = part;
        int slash = part.indexOf('/');
        if (slash >= 0) {
          step = Integer.parseInt(part.substring(slash + 1));
          range = part.substring(0, slash);
        }
        int lo;
        int hi;
        if (range.equals("*")) {
          lo = min;
          hi = max;
        } else if (range.contains("-")) {
          lo = value(range.substring(0, range.indexOf('-')), names, min);
          hi = value(range.substring(range.indexOf('-') + 1), names, min);
        } else {
          lo = value(range, names, min);
          hi = slash >= 0 ? max : lo;
        }
        if (step < 1 || lo < min || hi > max || lo > hi) {
          throw new NumberFormatException();
        }
        for (int v = lo; v <= hi; v += step) {
          bits.set(v);
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("cron expression '" + expr + "': the " + name + " field '" + text
            + "' is not valid; use *, a value, a-b, */n or a-b/n, comma-separated, with values " + min + " to " + max
            + (names == null ? "" : " or names such as " + names.getFirst()), e);
      }
    }
    return bits;
  }

  private static int value(String s, List<String> names, int min) {
    if (names != null) {
      int i = names.indexOf(s.toUpperCase(Locale.ROOT));
      if (i >= 0) {
        return i + min;
      }
    }
    return Integer.parseInt(s);
  }

  /** The latest tick at or before {@code now}. */
  Instant latest(Instant now) {
    LocalDateTime t = LocalDateTime.ofInstant(now, zone).truncatedTo(ChronoUnit.MINUTES);
    // 30 years of misses at most: a satisfiable expression matches within 28 years (leap day on a weekday)
    for (int guard = 0; guard < 200_000; guard++) {
      if (!months.get(t.getMonthValue())) {
        t = t.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).minusMinutes(1);
      } else if (!dayMatches(t)) {
        t = t.truncatedTo(ChronoUnit.DAYS).minusMinutes(1);
      } else if (!hours.get(t.getHour())) {
        t = t.truncatedTo(ChronoUnit.HOURS).minusMinutes(1);
      } else if (!minutes.get(t.getMinute())) {
        t = t.minusMinutes(1);
      } else {
        Instant tick = instant(t, now);
        if (tick != null) {
          return tick;
        }
        t = t.minusMinutes(1);
      }
    }
    throw new IllegalStateException("cron expression '" + expression + "' matches no time in the 30 years before "
        + now);
  }

  /** The instant of a matching wall-clock time, or null when it is after {@code now}. */
  private Instant instant(LocalDateTime local, Instant now) {
    ZoneRules rules = zone.getRules();
    List<ZoneOffset> offsets = rules.getValidOffsets(local);
    if (offsets.isEmpty()) {
      // skipped by the clock: fires when the clock jumps over it
      Instant jump = rules.getTransition(local).getInstant();
      return jump.isAfter(now) ? null : jump;
    }
    Instant first = local.toInstant(offsets.getFirst());
    Instant last = local.toInstant(offsets.getLast());
    if (everyHour && !last.isAfter(now)) {
      return last;
    }
    return first.isAfter(now) ? null : first;
  }

  private boolean dayMatches(LocalDateTime t) {
    boolean dom = days.get(t.getDayOfMonth());
    boolean dow = weekdays.get(t.getDayOfWeek().getValue() % 7);
    if (daysRestricted && weekdaysRestricted) {
      return dom || dow;
    }
    return dom && dow;
  }
}
