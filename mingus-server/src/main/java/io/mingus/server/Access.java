package io.mingus.server;

import io.javalin.http.Context;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Who may call what. Admin endpoints need {@code Authorization: Bearer $MINGUS_ADMIN_TOKEN}, or,
 * with no token configured, a caller on the loopback interface. With {@code MINGUS_API_KEYS} set,
 * {@code /api} needs one of the keys in {@code X-API-Key} or as a bearer token. Secrets are
 * compared in constant time (as SHA-256 digests, so their lengths do not leak either) and never
 * logged. Thread-safe.
 */
final class Access {
  private final byte[] adminToken;
  private final List<byte[]> apiKeys;

  Access(ServerSettings settings) {
    this.adminToken = settings.adminToken() == null ? null : digest(settings.adminToken());
    this.apiKeys = settings.apiKeys().stream().map(Access::digest).toList();
  }

  /** A before-handler of the admin paths. */
  void requireAdmin(Context ctx) {
    if (adminToken == null) {
      if (!isLoopback(ctx.req().getRemoteAddr())) {
        throw HttpProblem.forbidden("admin endpoints answer only on loopback while MINGUS_ADMIN_TOKEN is not set;"
            + " set it and send Authorization: Bearer <token>");
      }
      return;
    }
    String token = bearer(ctx);
    if (token == null) {
      throw HttpProblem.unauthorized("this admin endpoint needs Authorization: Bearer <MINGUS_ADMIN_TOKEN>");
    }
    if (!MessageDigest.isEqual(adminToken, digest(token))) {
      throw HttpProblem.unauthorized("the bearer token is not the admin token");
    }
  }

  /** A before-handler of {@code /api}. */
  void requireApiKey(Context ctx) {
    if (apiKeys.isEmpty()) {
      return;
    }
    String key = ctx.header("X-API-Key");
    if (key == null) {
      key = bearer(ctx);
    }
    if (key == null) {
      throw HttpProblem.unauthorized("/api needs an API key: send X-API-Key: <key> (one of MINGUS_API_KEYS)");
    }
    byte[] offered = digest(key);
    boolean match = false;
    for (byte[] k : apiKeys) {
      match |= MessageDigest.isEqual(k, offered);
    }
    if (!match) {
      throw HttpProblem.unauthorized("the API key is not one of MINGUS_API_KEYS");
    }
  }

  private static String bearer(Context ctx) {
    String header = ctx.header("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String token = header.substring(7).trim();
    return token.isEmpty() ? null : token;
  }

  static boolean isLoopback(String address) {
    if (address == null || address.isEmpty()) {
      return false;
    }
    try {
      String literal = address.startsWith("[") && address.endsWith("]")
          ? address.substring(1, address.length() - 1) : address;
      return InetAddress.ofLiteral(literal).isLoopbackAddress();
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static byte[] digest(String secret) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }
}
