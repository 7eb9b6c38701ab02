package io.mingus.server;

import io.javalin.http.Context;

/** Path and query parameters, parsed strictly: a bad one is a 400 naming it. */
final class Params {
  private Params() {}

  /** A positive id in the path. */
  static long id(Context ctx, String name) {
    return positive(name, ctx.pathParam(name));
  }

  static long positive(String name, String raw) {
    if (!asciiDigits(raw)) {
      throw HttpProblem.invalid(name, "must be a whole number of 1 or more, in ASCII digits");
    }
    try {
      long id = Long.parseLong(raw);
      if (id >= 1) {
        return id;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw HttpProblem.invalid(name, "must be a whole number of 1 or more");
  }

  /** Only 0-9, 1 to 19 of them: {@code Long.parseLong} also takes "+5" and other scripts' digits. */
  static boolean asciiDigits(String raw) {
    if (raw == null || raw.isEmpty() || raw.length() > 19) {
      return false;
    }
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /** A whole-number query parameter within bounds, or the fallback when absent. */
  static int intInRange(Context ctx, String name, int fallback, int min, int max) {
    String raw = ctx.queryParam(name);
    if (raw == null || raw.isEmpty()) {
      return fallback;
    }
    if (!asciiDigits(raw)) {
      throw HttpProblem.invalid(name, "must be a whole number from " + min + " to " + max + ", in ASCII digits");
    }
    try {
      int value = Integer.parseInt(raw);
      if (value >= min && value <= max) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw HttpProblem.invalid(name, "must be a whole number from " + min + " to " + max);
  }

  /** Refuses query parameters that are not in {@code allowed}. */
  static void onlyQuery(Context ctx, String... allowed) {
    for (String name : ctx.queryParamMap().keySet()) {
      boolean known = false;
      for (String a : allowed) {
        known |= a.equals(name);
      }
      if (!known) {
        throw HttpProblem.invalid(name, "is not a known query parameter; allowed: " + String.join(", ", allowed));
      }
    }
  }
}
