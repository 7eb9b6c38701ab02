package io.mingus.db;

import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/**
 * Reads a {@link DatabaseConfig} from environment variables. Every failure is one line naming the
 * variable, its value (a URL only by its scheme, never with a password) and what is allowed.
 */
final class EnvironmentConfig {
  /** A profile's pool defaults: size, overflow, recycle s, timeout s, per pool. */
  private record Defaults(int[] main, int[] worker, int[] analytics, boolean echo, boolean echoPool,
      boolean monitoring, int healthInterval, int leakMillis) {}

  private static final Defaults PRODUCTION = new Defaults(
      new int[] {20, 30, 3600, 30}, new int[] {10, 20, 1800, 30}, new int[] {5, 10, 7200, 60},
      false, false, true, 300, 0);
  // Development leaves SQL and pool-event echo off: the task workers' polling would flood a
  // newcomer's console (README: departures).
  private static final Defaults DEVELOPMENT = new Defaults(
      new int[] {5, 10, 1800, 30}, new int[] {5, 10, 1800, 30}, new int[] {2, 3, 3600, 60},
      false, false, true, 60, 30_000);
  private static final Defaults TESTING = new Defaults(
      new int[] {1, 0, 1800, 30}, new int[] {1, 0, 1800, 30}, new int[] {1, 0, 1800, 30},
      true, false, false, 300, 0);

  private final Map<String, String> env;

  EnvironmentConfig(Map<String, String> env) {
    this.env = env;
  }

  DatabaseConfig read() {
    Profile profile = profile();
    Defaults d = switch (profile) {
      case PRODUCTION -> PRODUCTION;
      case DEVELOPMENT -> DEVELOPMENT;
      case TESTING -> TESTING;
    };
    Target main = target("DATABASE_URL", profile);
    Target replica = get("ANALYTICS_DATABASE_URL") == null ? main : target("ANALYTICS_DATABASE_URL", profile);
    return new DatabaseConfig(
        profile,
        pool(PoolName.MAIN, main, d.main(), false),
        pool(PoolName.WORKER, main, d.worker(), false),
        pool(PoolName.ANALYTICS, replica, d.analytics(), true),
        get("DB_SCHEMA"),
        bool("DB_ECHO", d.echo()),
        bool("DB_ECHO_POOL", d.echoPool()),
        Duration.ofMillis(whole("DB_SLOW_QUERY_MS", 1000, 0)),
        bool("DB_ENABLE_MONITORING", d.monitoring()),
        Duration.ofSeconds(whole("DB_HEALTH_CHECK_INTERVAL", d.healthInterval(), 1)),
        Duration.ofMillis(whole("DB_HEALTH_CHECK_TIMEOUT_MS", 2000, 1)),
        Duration.ofMillis(whole("DB_LEAK_DETECTION_MS", d.leakMillis(), 0)),
        (int) whole("DB_CIRCUIT_FAILURE_THRESHOLD", 5, 1),
        seconds("DB_CIRCUIT_RECOVERY_TIMEOUT", 60, false),
        bool("DB_POOL_OPTIMIZER_RESIZE", false),
        bool("DB_PGBOUNCER", false),
        direct(profile),
        seconds("ANALYTICS_MAX_LAG_SECONDS", 30, false));
  }

  private record Target(String jdbcUrl, String user, String password) {}

  private Endpoint direct(Profile profile) {
    if (get("DATABASE_DIRECT_URL") == null) {
      return null;
    }
    Target t = target("DATABASE_DIRECT_URL", profile);
    return new Endpoint(t.jdbcUrl(), t.user(), t.password());
  }

  private Profile profile() {
    String value = get("MINGUS_PROFILE");
    if (value == null) {
      return Profile.DEVELOPMENT;
    }
    for (Profile p : Profile.values()) {
      if (p.label().equalsIgnoreCase(value)) {
        return p;
      }
    }
    throw bad("MINGUS_PROFILE", value, "production, development or testing");
  }

  private Target target(String variable, Profile profile) {
    String url = get(variable);
    if (url == null) {
      return switch (profile) {
        case DEVELOPMENT -> new Target("jdbc:h2:file:./data/mingus;AUTO_SERVER=TRUE;LOCK_TIMEOUT=10000", "sa", null);
        case TESTING -> new Target("jdbc:h2:mem:mingus-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000", "sa", null);
        case PRODUCTION -> throw new ConfigurationException(variable
            + " is not set: the production profile needs a PostgreSQL URL such as postgresql://user:pass@host:5432/mingus"
            + " (or set MINGUS_PROFILE=development for the embedded H2 database)");
      };
    }
    if (url.startsWith("jdbc:postgresql:") || url.startsWith("jdbc:h2:")) {
      return new Target(url, get("DB_USER"), get("DB_PASSWORD"));
    }
    int colon = url.indexOf(':');
    String scheme = colon > 0 ? url.substring(0, colon) : "";
    String shown = io.mingus.db.internal.Redact.url(url);
    if (!scheme.equals("postgresql") && !scheme.equals("postgres")) {
      throw new ConfigurationException(variable + "=" + shown + " is not allowed: its scheme '" + scheme
          + "' is not supported; use postgresql://user:pass@host:5432/db, postgres://..., jdbc:postgresql:... or"
          + " jdbc:h2:...");
    }
    if (url.indexOf('@') != url.lastIndexOf('@')) {
      throw new ConfigurationException(variable + "=" + shown + " is not allowed: its user or password has an"
          + " unencoded @; write it as %40");
    }
    try {
      URI uri = new URI(url);
      if (uri.getHost() == null || uri.getPath() == null || uri.getPath().length() < 2) {
        throw new ConfigurationException(variable + "=" + shown + " is not allowed: it must name a host and a database,"
            + " as in postgresql://user:pass@host:5432/db");
      }
      String user = null;
      String password = null;
      if (uri.getRawUserInfo() != null) {
        String[] parts = uri.getRawUserInfo().split(":", 2);
        user = decode(parts[0]);
        password = parts.length > 1 ? decode(parts[1]) : null;
      }
      String jdbc = "jdbc:postgresql://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "")
          + uri.getRawPath() + (uri.getRawQuery() != null ? "?" + uri.getRawQuery() : "");
      return new Target(jdbc, user, password);
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(variable + "=" + shown + " is not allowed: its user or password has a bad"
          + " percent-encoding; encode special characters as %XX (an @ as %40)");
    } catch (URISyntaxException e) {
      throw new ConfigurationException(variable + "=" + shown + " is not allowed: it is not a valid URL ("
          + e.getReason() + " at index " + e.getIndex() + "); use postgresql://user:pass@host:5432/db,"
          + " percent-encoding special characters of the user and password");
    }
  }

  private PoolConfig pool(PoolName name, Target t, int[] d, boolean readOnly) {
    String p = name.envPrefix();
    return new PoolConfig(name, t.jdbcUrl(), t.user(), t.password(),
        (int) whole(p + "POOL_SIZE", d[0], 1),
        (int) whole(p + "MAX_OVERFLOW", d[1], 0),
        recycle(p + "POOL_RECYCLE", d[2]),
        timeout(p + "POOL_TIMEOUT", d[3]),
        readOnly);
  }

  private String get(String variable) {
    String value = env.get(variable);
    if (value == null && variable.startsWith("WORKER_DB_")) {
      value = env.get("CELERY_DB_" + variable.substring("WORKER_DB_".length()));
    }
    return value == null || value.isBlank() ? null : value.trim();
  }

  private String nameOf(String variable) {
    if (env.get(variable) == null && variable.startsWith("WORKER_DB_")) {
      String alias = "CELERY_DB_" + variable.substring("WORKER_DB_".length());
      if (env.get(alias) != null) {
        return alias;
      }
    }
    return variable;
  }

  private long whole(String variable, long fallback, long min) {
    String value = get(variable);
    if (value == null) {
      return fallback;
    }
    try {
      long n = Long.parseLong(value);
      if (n >= min && n <= Integer.MAX_VALUE) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below with the rule
    }
    throw bad(nameOf(variable), value, "a whole number of " + min + " or more");
  }

  private Duration seconds(String variable, long fallback, boolean zeroAllowed) {
    String value = get(variable);
    if (value == null) {
      return Duration.ofSeconds(fallback);
    }
    try {
      BigDecimal s = new BigDecimal(value);
      if (s.signum() > 0 || (zeroAllowed && s.signum() == 0)) {
        return Duration.ofMillis(s.movePointRight(3).longValueExact());
      }
    } catch (NumberFormatException | ArithmeticException ignored) {
      // reported below with the rule
    }
    throw bad(nameOf(variable), value, zeroAllowed ? "a number of seconds of 0 or more" : "a number of seconds above 0");
  }

  private Duration recycle(String variable, long fallback) {
    Duration d = seconds(variable, fallback, true);
    if (!d.isZero() && d.compareTo(PoolConfig.MIN_RECYCLE) < 0) {
      throw bad(nameOf(variable), get(variable),
          "0 (never recycle) or at least 30 seconds (HikariCP's minimum maxLifetime)");
    }
    return d;
  }

  private Duration timeout(String variable, long fallback) {
    Duration d = seconds(variable, fallback, false);
    if (d.compareTo(PoolConfig.MIN_TIMEOUT) < 0) {
      throw bad(nameOf(variable), get(variable), "at least 0.25 seconds (HikariCP's minimum connectionTimeout)");
    }
    return d;
  }

  private boolean bool(String variable, boolean fallback) {
    String value = get(variable);
    if (value == null) {
      return fallback;
    }
    // one rule for every module's booleans
    return Environment.of(env).bool(variable, fallback);
  }

  private static ConfigurationException bad(String variable, String value, String allowed) {
    return Environment.bad(variable, value, allowed);
  }

  /** Percent-decoding of URL user info; unlike form decoding, a '+' stays a '+'. */
  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }
}
