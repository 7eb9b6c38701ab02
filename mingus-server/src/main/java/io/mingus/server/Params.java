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

  /** A whole-number query parameter within bounds, or the fallback when absent. */
  static int intInRange(Context ctx, String name, int fallback, int min, int max) {
    String raw = ctx.queryParam(name);
    if (raw == null || raw.isEmpty()) {
      return fallback;
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
