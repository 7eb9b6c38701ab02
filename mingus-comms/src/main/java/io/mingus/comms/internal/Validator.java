package io.mingus.comms.internal;

import io.mingus.comms.Channel;
import io.mingus.comms.FieldError;
import io.mingus.comms.NewUser;
import io.mingus.comms.PreferencesUpdate;
import io.mingus.comms.SendRequest;
import java.time.DateTimeException;
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
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");
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
    } else if (u.email().length() > MAX_EMAIL_ADDRESS || !EMAIL.matcher(u.email()).matches()) {
      errors.add(new FieldError("email", "must be an email address such as ada@example.com, at most "
          + MAX_EMAIL_ADDRESS + " characters"));
    }
    if (u.phone() != null && !E164.matcher(u.phone()).matches()) {
      errors.add(new FieldError("phone", "must be in E.164 form: '+', country code and number, up to 15 digits,"
          + " such as +14155550123"));
    }
    if (u.timezone() != null) {
      try {
        ZoneId.of(u.timezone());
      } catch (DateTimeException e) {
        errors.add(new FieldError("timezone", "must be an IANA time zone id such as Europe/Paris or UTC"));
      }
    }
    return errors;
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
    } else if (r.message().length() > max) {
      errors.add(new FieldError(prefix + "message", "has " + r.message().length() + " characters; at most " + max
          + " are allowed for " + (r.channel() == null ? "sms" : r.channel().label())));
    }
    if (r.channel() == Channel.EMAIL) {
      if (r.subject() == null || r.subject().isBlank()) {
        errors.add(new FieldError(prefix + "subject", "is required for email"));
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
    if (r.idempotencyKey() != null && (r.idempotencyKey().isBlank() || r.idempotencyKey().length() > MAX_KEY)) {
      errors.add(new FieldError(prefix + "idempotency_key", "must be 1 to " + MAX_KEY + " non-blank characters"));
    }
    return errors;
  }
}
