package io.mingus.server;

import io.javalin.http.Context;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

/**
 * Who may call what. Admin endpoints need {@code Authorization: Bearer $MINGUS_ADMIN_TOKEN} (or
 * the token as the password of HTTP Basic, with any user name, which is how a browser sends it to
 * the dashboard), or, with no token configured, a caller on the loopback interface. A browser
 * asking for a page is challenged for Basic, so that it prompts; other clients for Bearer. An
 * admin request that changes something (not GET or HEAD) sent by a page of another site is
 * refused, so a cached Basic login cannot be replayed by a cross-site form. With {@code
 * MINGUS_API_KEYS} set, {@code /api} needs one of the keys in {@code X-API-Key} or as a bearer
 * token. Secrets are compared in constant time (as SHA-256 digests, so their lengths do not leak
 * either) and never logged. Thread-safe.
 */
final class Access {
  static final String BEARER_CHALLENGE = "Bearer realm=\"mingus\"";
  static final String BASIC_CHALLENGE = "Basic realm=\"mingus admin\", charset=\"UTF-8\"";
  private final byte[] adminToken;
  private final List<byte[]> apiKeys;

  Access(ServerSettings settings) {
    this.adminToken = settings.adminToken() == null ? null : digest(settings.adminToken());
    this.apiKeys = settings.apiKeys().stream().map(Access::digest).toList();
  }

  /** A before-handler of the admin paths. */
  void requireAdmin(Context ctx) {
    refuseCrossSiteChanges(ctx);
    if (adminToken == null) {
      if (!isLoopback(ctx.req().getRemoteAddr())) {
        throw HttpProblem.forbidden("admin endpoints answer only on loopback while MINGUS_ADMIN_TOKEN is not set;"
            + " set it and send Authorization: Bearer <token>");
      }
      return;
    }
    String token = bearer(ctx);
    if (token == null) {
      token = basicPassword(ctx);
    }
    String challenge = wantsHtml(ctx) ? BASIC_CHALLENGE : BEARER_CHALLENGE;
    if (token == null) {
      throw HttpProblem.unauthorized("this admin endpoint needs Authorization: Bearer <MINGUS_ADMIN_TOKEN>"
          + " (a browser: any user name and the token as password)", challenge);
    }
    if (!MessageDigest.isEqual(adminToken, digest(token))) {
      throw HttpProblem.unauthorized("the credentials are not the admin token", challenge);
    }
  }

  /** Whether the caller asks for a page (a browser navigating), not for data. */
  static boolean wantsHtml(Context ctx) {
    String accept = ctx.header("Accept");
    return accept != null && accept.contains("text/html");
  }

  private static void refuseCrossSiteChanges(Context ctx) {
    String method = ctx.method().name();
    if (method.equals("GET") || method.equals("HEAD")) {
      return;
    }
    String site = ctx.header("Sec-Fetch-Site");
    String origin = ctx.header("Origin");
    boolean crossSite = site != null ? !site.equals("same-origin") && !site.equals("none")
        : origin != null && !sameOrigin(origin, ctx.header("Host"));
    if (crossSite) {
      throw HttpProblem.forbidden("a page of another site may not change anything here (Origin "
          + (origin == null ? "not sent" : origin) + "); use the dashboard itself or send the admin token");
    }
  }

  private static boolean sameOrigin(String origin, String host) {
    int scheme = origin.indexOf("://");
    return host != null && scheme > 0 && origin.substring(scheme + 3).equalsIgnoreCase(host);
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

  private static String basicPassword(Context ctx) {
    String header = ctx.header("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    try {
      String pair = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
      int colon = pair.indexOf(':');
      return colon < 0 || colon == pair.length() - 1 ? null : pair.substring(colon + 1);
    } catch (IllegalArgumentException e) {
      return null;
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
