package io.mingus.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The options of a benchmark command, {@code --name value} pairs. Not thread-safe; read once at
 * start. A bad value stops the run with one line naming the option, the value and what is allowed.
 */
final class Args {
  private final Map<String, String> values = new HashMap<>();

  Args(List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + a + "': options are --name value");
      }
      int eq = a.indexOf('=');
      if (eq > 0) {
        values.put(a.substring(2, eq), a.substring(eq + 1));
      } else {
        if (i + 1 >= args.size()) {
          throw new IllegalArgumentException("option " + a + " needs a value");
        }
        values.put(a.substring(2), args.get(++i));
      }
    }
  }

  String string(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  int integer(String name, int fallback) {
    String v = values.get(name);
    if (v == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " " + v + " is not allowed: use a whole number");
    }
  }

  Duration seconds(String name, double fallback) {
    String v = values.get(name);
    double s;
    try {
      s = v == null ? fallback : Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " " + v + " is not allowed: use a number of seconds");
    }
    if (s < 0) {
      throw new IllegalArgumentException("--" + name + " " + v + " is not allowed: use 0 or more seconds");
    }
    return Duration.ofNanos((long) (s * 1e9));
  }

  List<Integer> integers(String name, String fallback) {
    List<Integer> list = new ArrayList<>();
    for (String part : string(name, fallback).split(",")) {
      try {
        int n = Integer.parseInt(part.trim());
        if (n < 1) {
          throw new NumberFormatException();
        }
        list.add(n);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--" + name + " " + string(name, fallback)
            + " is not allowed: use whole numbers of 1 or more separated by commas, e.g. 1,8");
      }
    }
    return list;
  }

  boolean flag(String name, boolean fallback) {
    String v = values.get(name);
    if (v == null) {
      return fallback;
    }
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1" -> true;
      case "false", "no", "0" -> false;
      default -> throw new IllegalArgumentException("--" + name + " " + v + " is not allowed: use true or false");
    };
  }
}
