package io.mingus.db.internal;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * When the next reachability probe runs: {@link #FIRST} after the database was found unreachable,
 * then {@link #GROWTH} times longer after each failed probe, each delay jittered by ±20 % (so that
 * the pools of many processes do not probe in step) and never longer than the cap ({@code
 * DB_CIRCUIT_RECOVERY_TIMEOUT}).
 *
 * <p>Why 1.4 and not 2: the gap between two probes is what an outage costs beyond its own length.
 * After {@code t} seconds down the gap is about {@code 0.4 t + 0.25} s, so a 3-second outage is
 * noticed over within about 1.6 s at worst (doubling would leave up to 3.5 s); a pool still makes
 * only about 14 probes in the first minute of a long outage, then one per cap.
 *
 * @param cap the longest delay; positive
 */
record ProbeSchedule(Duration cap) {
  /** The delay before the first probe. */
  static final Duration FIRST = Duration.ofMillis(250);

  /** How much longer each delay is than the one before. */
  static final double GROWTH = 1.4;

  /** The delay before the probe that follows {@code failedProbes} failed ones. */
  Duration delay(int failedProbes, DoubleSupplier random) {
    double base = FIRST.toNanos() * Math.pow(GROWTH, Math.min(failedProbes, 64));
    double jittered = base * (0.8 + 0.4 * random.getAsDouble());
    return Duration.ofNanos((long) Math.min(jittered, cap.toNanos()));
  }
}
