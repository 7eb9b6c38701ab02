package io.mingus.tasks.internal;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rate limits of one worker: a {@link TokenBucket} per limited task name, on the worker's
 * clock. A name whose bucket is empty is left out of claims; its token is taken when a task starts.
 * Thread-safe.
 */
public final class RateLimits {
  private final Map<String, TokenBucket> buckets;

  /** Limits of {@code perSecond} tasks a second by task name. */
  public RateLimits(Map<String, Double> perSecond, InstantSource clock) {
    Map<String, TokenBucket> b = new LinkedHashMap<>();
    perSecond.forEach((name, rate) -> b.put(name, new TokenBucket(rate, clock)));
    this.buckets = Map.copyOf(b);
  }

  /** The names among {@code names} that may be claimed now: not limited, or with a token. */
  public List<String> claimable(Collection<String> names) {
    List<String> out = new ArrayList<>(names.size());
    for (String name : names) {
      TokenBucket limit = buckets.get(name);
      if (limit == null || limit.available()) {
        out.add(name);
      }
    }
    return out;
  }

  /** Whether a task named {@code name} may start now: not limited, or a token was taken. */
  public boolean admit(String name) {
    TokenBucket limit = buckets.get(name);
    return limit == null || limit.tryTake();
  }

  /** How long until {@code name} has a token; zero when it has one or is not limited. */
  public Duration untilNext(String name) {
    TokenBucket limit = buckets.get(name);
    return limit == null ? Duration.ZERO : limit.untilNext();
  }

  /** How long a queue with nothing to do waits: {@code poll}, or less when a limit refills sooner. */
  public Duration nextWait(Duration poll) {
    Duration wait = poll;
    for (TokenBucket b : buckets.values()) {
      Duration next = b.untilNext();
      if (!next.isZero() && next.compareTo(wait) < 0) {
        wait = next;
      }
    }
    return wait;
  }
}
