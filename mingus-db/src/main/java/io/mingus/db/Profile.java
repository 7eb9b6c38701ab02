package io.mingus.db;

import java.util.Locale;

/**
 * The configuration profiles (production, development, testing), chosen with {@code
 * MINGUS_PROFILE}. Each fixes the defaults of every setting; the environment overrides them one
 * by one.
 */
public enum Profile {
  /** Large pools, monitoring on, no SQL echo. */
  PRODUCTION,
  /** Small pools, SQL echo, an H2 file under {@code ./data} when there is no DATABASE_URL. */
  DEVELOPMENT,
  /** Pools of one connection, monitoring off, in-memory H2 when there is no DATABASE_URL. */
  TESTING;

  /** The lower-case name used in {@code MINGUS_PROFILE}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
