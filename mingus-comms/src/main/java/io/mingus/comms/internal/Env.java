package io.mingus.comms.internal;

import java.util.Map;

/** Reading provider settings from the environment, with errors that name the variable. */
final class Env {
  private Env() {}

  static String required(Map<String, String> env, String name, String what) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException(name + " is not set; set it to " + what);
    }
    return v.trim();
  }

  static String optional(Map<String, String> env, String name) {
    String v = env.get(name);
    return v == null || v.isBlank() ? null : v;
  }

  static int integer(Map<String, String> env, String name, int fallback, int min, int max) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(name + "='" + v + "' is not allowed; use a whole number from " + min + " to "
        + max);
  }

  static boolean bool(Map<String, String> env, String name, boolean fallback) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    return switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw new IllegalArgumentException(name + "='" + v + "' is not allowed; use true or false");
    };
  }
}
