package io.mingus.comms.internal;

import io.mingus.comms.Channel;
import io.mingus.comms.FieldError;
import io.mingus.comms.NewUser;
import io.mingus.comms.PreferencesUpdate;
import io.mingus.comms.SendRequest;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The static checks of the service's inputs: every offending field is collected, with what is
 * allowed. Field names are the JSON names ({@code snake_case}), prefixed for batch items
 * ({@code requests[3].message}). Never echoes a message text. Stateless and thread-safe.
 */
public final class Validator {
  public static final int MAX_SMS = 1_600;
  public static final int MAX_EMAIL = 100_000;
  public static final int MAX_SUBJECT = 200;
  public static final int MAX_MESSAGE_TYPE = 50;
  public static final int MAX_KEY = 255;
  public static final int MAX_DAILY_LIMIT = 10_000;
  public static final int MAX_EMAIL_ADDRESS = 254;

  private static final Pattern E164 = Pattern.compile("\\+[1-9][0-9]{1,14}");
  // letters and digits of any script (RFC 6531 addresses such as jose@exämple.com), ASCII symbols
  private static final String ATOM = "[\\p{L}\\p{M}\\p{N}!#$%&'*+/=?^_`{|}~-]+";
  private static final String LABEL = "[\\p{L}\\p{N}](?:[\\p{L}\\p{M}\\p{N}-]{0,61}[\\p{L}\\p{M}\\p{N}])?";
  /** A dot-atom local part (no quoted forms), a domain of two or more DNS labels: no "a@b..com", no "<a@b.c>". */
  private static final Pattern EMAIL = Pattern.compile(ATOM + "(?:\\." + ATOM + ")*@(?:" + LABEL + "\\.)+" + LABEL);
  private static final int MAX_LOCAL_PART = 64;
  private static final Pattern MESSAGE_TYPE = Pattern.compile("[A-Za-z0-9_.:-]+");

  private Validator() {}

  /** The problems of a new user. */
  public static List<FieldError> newUser(NewUser u) {
    List<FieldError> errors = new ArrayList<>();
    if (u == null) {
      return List.of(new FieldError("user", "is required"));
    }
    if (u.email() == null || u.email().isBlank()) {
      errors.add(new FieldError("email", "is required"));
    } else if (!text("email", u.email(), false, errors) && !isEmail(u.email())) {
      errors.add(new FieldError("email", "must be an email address such as ada@example.com: letters, digits and"
          + " !#$%&'*+/=?^_`{|}~.- before the @ (no dot first, last or twice in a row, at most " + MAX_LOCAL_PART
          + "), a domain of dot-separated labels after it, at most " + MAX_EMAIL_ADDRESS + " characters in all"));
    }
    if (u.phone() != null && !text("phone", u.phone(), false, errors) && !E164.matcher(u.phone()).matches()) {
      errors.add(new FieldError("phone", "must be in E.164 form: '+', country code and number, up to 15 digits,"
          + " such as +14155550123"));
    }
    if (u.timezone() != null && !text("timezone", u.timezone(), false, errors) && !isRegion(u.timezone())) {
      errors.add(new FieldError("timezone", "must be an IANA time zone id such as Europe/Paris or UTC, spelled"
          + " exactly; offsets (Z, +05:00, UTC+5) and SystemV/ ids are not allowed: an offset does not follow"
          + " daylight saving time"));
    }
    return errors;
  }

  static boolean isEmail(String email) {
    int at = email.indexOf('@');
    return email.length() <= MAX_EMAIL_ADDRESS && at > 0 && at <= MAX_LOCAL_PART && EMAIL.matcher(email).matches();
  }

  /** A region id of the time-zone database, exactly as spelled there; not an offset, not SystemV/. */
  public static boolean isRegion(String zone) {
    return !zone.startsWith("SystemV/") && ZoneId.getAvailableZoneIds().contains(zone);
  }

  /**
   * Adds the problem of a text field that holds control characters (C0 and DEL; {@code lines}
   * allows tab, CR and LF) or a lone UTF-16 surrogate, which no encoding can carry and on which
   * PostgreSQL's driver fails (NUL). One pass over the characters.
   *
   * @return whether a problem was added
   */
  public static boolean text(String field, String value, boolean lines, List<FieldError> errors) {
    String problem = textProblem(value, lines);
    if (problem != null) {
      errors.add(new FieldError(field, problem));
    }
    return problem != null;
  }

  /** The rule {@code value} breaks, or null. */
  public static String textProblem(String value, boolean lines) {
    for (int i = 0, n = value.length(); i < n; i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c == 0x7F) {
        if (!lines || (c != '\t' && c != '\n' && c != '\r')) {
          return "must not contain control characters such as NUL" + (lines ? " (tab and line breaks are allowed)" : "");
        }
      } else if (Character.isHighSurrogate(c)) {
        if (i + 1 == n || !Character.isLowSurrogate(value.charAt(i + 1))) {
          return "must not contain a lone UTF-16 surrogate (it is not Unicode text)";
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return "must not contain a lone UTF-16 surrogate (it is not Unicode text)";
      }
    }
    return null;
  }

  /** The problems of a preferences update. */
  public static List<FieldError> update(PreferencesUpdate u) {
    if (u == null) {
      return List.of(new FieldError("preferences", "is required"));
    }
    List<FieldError> errors = new ArrayList<>();
    if (u.dailyLimit() != null && (u.dailyLimit() < 0 || u.dailyLimit() > MAX_DAILY_LIMIT)) {
      errors.add(new FieldError("daily_limit", "must be between 0 and " + MAX_DAILY_LIMIT + ", was " + u.dailyLimit()));
    }
    boolean start = u.quietHoursStart() != null;
    boolean end = u.quietHoursEnd() != null;
    if (u.clearQuietHours() && (start || end)) {
      errors.add(new FieldError("clear_quiet_hours", "cannot be combined with new quiet hours"));
    } else if (start != end) {
      errors.add(new FieldError(start ? "quiet_hours_end" : "quiet_hours_start",
          "is required with " + (start ? "quiet_hours_start" : "quiet_hours_end") + ": quiet hours are set as a pair"));
    } else if (start && u.quietHoursStart().equals(u.quietHoursEnd())) {
      errors.add(new FieldError("quiet_hours_end", "must differ from quiet_hours_start"));
    }
    return errors;
  }

  /** The static problems of a send request; {@code prefix} names a batch item, or is empty. */
  public static List<FieldError> send(SendRequest r, String prefix) {
    if (r == null) {
      return List.of(new FieldError(prefix.isEmpty() ? "request" : prefix.substring(0, prefix.length() - 1),
          "is required"));
    }
    List<FieldError> errors = new ArrayList<>();
    if (r.userId() <= 0) {
      errors.add(new FieldError(prefix + "user_id", "must be a positive user id, was " + r.userId()));
    }
    if (r.channel() == null) {
      errors.add(new FieldError(prefix + "channel", "is required: sms or email"));
    }
    int max = r.channel() == Channel.EMAIL ? MAX_EMAIL : MAX_SMS;
    if (r.message() == null || r.message().isBlank()) {
      errors.add(new FieldError(prefix + "message", "is required and must not be blank"));
    } else if (text(prefix + "message", r.message(), true, errors)) {
      // reported
    } else if (r.message().length() > max) {
      errors.add(new FieldError(prefix + "message", "has " + r.message().length() + " characters; at most " + max
          + " are allowed for " + (r.channel() == null ? "sms" : r.channel().label())));
    }
    if (r.channel() != Channel.EMAIL && r.subject() != null) {
      text(prefix + "subject", r.subject(), false, errors);
    }
    if (r.channel() == Channel.EMAIL) {
      if (r.subject() == null || r.subject().isBlank()) {
        errors.add(new FieldError(prefix + "subject", "is required for email"));
      } else if (text(prefix + "subject", r.subject(), false, errors)) {
        // reported: a line break in a subject would start a new mail header
      } else if (r.subject().length() > MAX_SUBJECT) {
        errors.add(new FieldError(prefix + "subject", "has " + r.subject().length() + " characters; at most "
            + MAX_SUBJECT + " are allowed"));
      }
    }
    if (r.messageType() != null && (r.messageType().length() > MAX_MESSAGE_TYPE
        || !MESSAGE_TYPE.matcher(r.messageType()).matches())) {
      errors.add(new FieldError(prefix + "message_type", "must be 1 to " + MAX_MESSAGE_TYPE
          + " letters, digits or _.:- such as reminder"));
    }
    if (r.idempotencyKey() != null && !text(prefix + "idempotency_key", r.idempotencyKey(), false, errors)
        && (r.idempotencyKey().isBlank() || r.idempotencyKey().length() > MAX_KEY)) {
      errors.add(new FieldError(prefix + "idempotency_key", "must be 1 to " + MAX_KEY + " non-blank characters"));
    }
    return errors;
  }
}
