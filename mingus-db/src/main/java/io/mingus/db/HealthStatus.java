package io.mingus.db;

import java.util.Locale;

/** The health of a pool or of the whole database, worst of its pools; written in lower case in JSON. */
public enum HealthStatus {
  /** Answers quickly, breaker closed, spare capacity. */
  HEALTHY,
  /** Answers, but slowly, near capacity, or with its breaker probing. */
  DEGRADED,
  /** Does not answer within the timeout, or its breaker is open. */
  UNHEALTHY;

  /** The lower-case name used in JSON documents. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
