package io.mingus.db;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The one reader of environment variables for every module (database, providers, server), so that
 * every variable follows the same rules: unset and blank are the same, values are trimmed,
 * booleans are {@code true/false}, {@code 1/0}, {@code yes/no} or {@code on/off}, and every bad
 * value is a {@link ConfigurationException} with one line naming the variable, the value (never a
 * secret's) and what is allowed, which the {@code mingus} command prints before exiting 2.
 * Immutable and thread-safe.
 *
 * <pre>{@code
 * Environment env = Environment.of(System.getenv());
 * int port = env.integer("SMTP_PORT", 587, 1, 65_535);
 * }</pre>
 */
public final class Environment {
  private static final int SHOWN = 60;
  private final Map<String, String> variables;

  private Environment(Map<String, String> variables) {
    this.variables = variables;
  }

  /** A reader of these variables (typically {@link System#getenv()}). */
  public static Environment of(Map<String, String> variables) {
    return new Environment(Objects.requireNonNull(variables, "variables"));
  }

  /** Whether the variable is set to something other than blanks. */
  public boolean isSet(String name) {
    return text(name) != null;
  }

  /** The trimmed value, or {@code null} when unset or blank. */
  public String text(String name) {
    String value = variables.get(name);
    return value == null || value.isBlank() ? null : value.trim();
  }

  /** The trimmed value, or {@code fallback}. */
  public String text(String name, String fallback) {
    String value = text(name);
    return value == null ? fallback : value;
  }

  /**
   * The trimmed value of a variable that must be set.
   *
   * @param what what to set it to, for the message ("the account SID")
   * @param because why it is needed, for the message ("SMS_API_URL is set")
   */
  public String required(String name, String what, String because) {
    String value = text(name);
    if (value == null) {
      throw new ConfigurationException(name + " is not set" + (because == null ? "" : " (needed because " + because
          + ")") + ": set it to " + what);
    }
    return value;
  }

  /** A whole number from {@code min} to {@code max}, or {@code fallback} when unset. */
  public long whole(String name, long fallback, long min, long max) {
    String value = text(name);
    if (value == null) {
      return fallback;
    }
    try {
      long n = Long.parseLong(value);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below with the rule
    }
    throw bad(name, value, max >= Integer.MAX_VALUE ? "a whole number of " + min + " or more"
        : "a whole number from " + min + " to " + max);
  }

  /** A whole number from {@code min} to {@code max} that fits an {@code int}. */
  public int integer(String name, int fallback, int min, int max) {
    return (int) whole(name, fallback, min, max);
  }

  /** {@code true/false}, {@code 1/0}, {@code yes/no}, {@code on/off} (any case), or {@code fallback}. */
  public boolean bool(String name, boolean fallback) {
    String value = text(name);
    if (value == null) {
      return fallback;
    }
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw bad(name, value, "true or false (also 1/0, yes/no, on/off)");
    };
  }

  /** A number of seconds (decimals allowed, "0.5"), above 0 or also 0, or {@code fallback}. */
  public Duration seconds(String name, Duration fallback, boolean zeroAllowed) {
    String value = text(name);
    if (value == null) {
      return fallback;
    }
    try {
      BigDecimal s = new BigDecimal(value);
      if (s.signum() > 0 || (zeroAllowed && s.signum() == 0)) {
        return Duration.ofMillis(s.movePointRight(3).longValueExact());
      }
    } catch (NumberFormatException | ArithmeticException ignored) {
      // reported below with the rule
    }
    throw bad(name, value, zeroAllowed ? "a number of seconds of 0 or more" : "a number of seconds above 0");
  }

  /**
   * The failure of a variable whose value is not allowed: {@code NAME=value is not allowed: use
   * <allowed>}. The value is shown shortened and with control characters replaced; pass a secret's
   * name to {@link #badSecret}.
   */
  public static ConfigurationException bad(String name, String value, String allowed) {
    return new ConfigurationException(name + "=" + shown(value) + " is not allowed: use " + allowed);
  }

  /** The same for a secret: its value is not shown. */
  public static ConfigurationException badSecret(String name, String allowed) {
    return new ConfigurationException(name + " (value not shown) is not allowed: use " + allowed);
  }

  static String shown(String value) {
    if (value == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(Math.min(value.length(), SHOWN + 3));
    for (int i = 0; i < value.length() && i < SHOWN; i++) {
      char c = value.charAt(i);
      out.append(Character.isISOControl(c) ? '?' : c);
    }
    return value.length() > SHOWN ? out + "..." : out.toString();
  }
}
