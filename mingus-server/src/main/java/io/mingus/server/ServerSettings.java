package io.mingus.server;

import io.mingus.db.ConfigurationException;
import io.mingus.db.Environment;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The HTTP server's settings, read from the environment by {@link #fromEnvironment(Map)}.
 * Immutable and validated; {@link #toString()} masks the token and the keys.
 *
 * @param host the address to listen on ({@code MINGUS_HOST}, default {@code 0.0.0.0})
 * @param port the port to listen on ({@code PORT}, default 8080; 0 picks a free one)
 * @param adminToken the bearer token of the admin endpoints ({@code MINGUS_ADMIN_TOKEN}); {@code
 *     null} lets them answer on loopback only
 * @param apiKeys the keys of which {@code /api} requires one ({@code MINGUS_API_KEYS}, comma
 *     separated); empty leaves {@code /api} open
 * @param maxBodyBytes the largest request body accepted; larger ones get 413
 * @param retryAfter the {@code Retry-After} of a 503 during a database outage
 */
public record ServerSettings(
    String host, int port, String adminToken, List<String> apiKeys, long maxBodyBytes, Duration retryAfter) {

  /** 1 MiB: a batch of 1,000 SMS fits. */
  public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

  /** Validates every field. */
  public ServerSettings {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(retryAfter, "retryAfter");
    apiKeys = List.copyOf(apiKeys);
    if (port < 0 || port > 65535) {
      throw new ConfigurationException("PORT=" + port + " is not allowed: use a port from 0 to 65535");
    }
    if (adminToken != null && adminToken.length() < 16) {
      throw new ConfigurationException("MINGUS_ADMIN_TOKEN is " + adminToken.length()
          + " characters long, which is not allowed: use at least 16 (for example: openssl rand -hex 32)");
    }
    if (maxBodyBytes < 1) {
      throw new IllegalArgumentException("maxBodyBytes must be positive, was " + maxBodyBytes);
    }
  }

  /** Port 8080 on every address, no admin token, no API keys, 1 MiB bodies, Retry-After 5 s. */
  public static ServerSettings defaults() {
    return new ServerSettings("0.0.0.0", 8080, null, List.of(), DEFAULT_MAX_BODY_BYTES, Duration.ofSeconds(5));
  }

  /** The settings of the current process environment. */
  public static ServerSettings fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  /**
   * The settings of this environment: {@code MINGUS_HOST}, {@code PORT}, {@code
   * MINGUS_ADMIN_TOKEN}, {@code MINGUS_API_KEYS}.
   *
   * @throws ConfigurationException with one line naming the bad variable and what is allowed
   */
  public static ServerSettings fromEnvironment(Map<String, String> env) {
    ServerSettings d = defaults();
    String host = blankToNull(env.get("MINGUS_HOST"));
    int portNumber = Environment.of(env).integer("PORT", d.port(), 0, 65_535);
    String keys = blankToNull(env.get("MINGUS_API_KEYS"));
    List<String> apiKeys = keys == null ? List.of()
        : Arrays.stream(keys.split(",")).map(String::trim).filter(k -> !k.isEmpty()).toList();
    return new ServerSettings(host != null ? host : d.host(), portNumber, blankToNull(env.get("MINGUS_ADMIN_TOKEN")),
        apiKeys, d.maxBodyBytes(), d.retryAfter());
  }

  /** These settings on another port. */
  public ServerSettings withPort(int p) {
    return new ServerSettings(host, p, adminToken, apiKeys, maxBodyBytes, retryAfter);
  }

  /** These settings with another admin token ({@code null} for loopback-only admin endpoints). */
  public ServerSettings withAdminToken(String token) {
    return new ServerSettings(host, port, token, apiKeys, maxBodyBytes, retryAfter);
  }

  /** These settings with other API keys (empty leaves {@code /api} open). */
  public ServerSettings withApiKeys(List<String> keys) {
    return new ServerSettings(host, port, adminToken, keys, maxBodyBytes, retryAfter);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  @Override
  public String toString() {
    return "ServerSettings[host=" + host + ", port=" + port + ", adminToken=" + (adminToken == null ? "(none: loopback only)" : "****")
        + ", apiKeys=" + (apiKeys.isEmpty() ? "(none: /api open)" : apiKeys.size() + " keys") + ", maxBodyBytes="
        + maxBodyBytes + ", retryAfter=" + retryAfter.toSeconds() + "s]";
  }
}
