package io.mingus.comms;

import java.util.Locale;

/** The way a message reaches a user. In JSON and in the database: {@code "sms"} or {@code "email"}. */
public enum Channel {
  /** A text message to the user's phone (E.164). */
  SMS,
  /** An email to the user's address. */
  EMAIL;

  /** The lower-case name used in JSON and in the database. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The channel of a label such as {@code "sms"} (case-insensitive).
   *
   * @throws IllegalArgumentException when the label names no channel
   */
  public static Channel of(String label) {
    for (Channel c : values()) {
      if (c.label().equalsIgnoreCase(label)) {
        return c;
      }
    }
    throw new IllegalArgumentException("unknown channel '" + label + "'; allowed: sms, email");
  }
}
