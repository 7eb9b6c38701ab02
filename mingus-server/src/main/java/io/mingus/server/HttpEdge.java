package io.mingus.server;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.router.Endpoint;
import io.javalin.router.InternalRouter;
import io.javalin.router.ParsedEndpoint;
import io.mingus.comms.internal.Validator;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * What every request meets before and around the routes, so that hostile input is refused the same
 * way everywhere:
 *
 * <ul>
 *   <li>security headers on every response ({@code nosniff}, a restrictive CSP with {@code
 *       frame-ancestors 'none'}, {@code Referrer-Policy}); {@code Cache-Control: no-store} on
 *       {@code /api} and {@code /admin};
 *   <li>a malformed %-escape in the query string or in a path parameter (such as {@code %ZZ}, or
 *       the non-standard {@code %u0041}) is a 400 naming the parameter, instead of the parameter
 *       being silently dropped (query) or a 500 (path);
 *   <li>a body that is not {@code application/json} is a 415 (so that a page of another site
 *       cannot post a form or {@code text/plain} to {@code /api});
 *   <li>a method the path does not have is a 405 with {@code Allow}; {@code HEAD} runs the {@code
 *       GET} handler, so it answers the same status (Jetty sends no body).
 * </ul>
 *
 * Errors Jetty produces before any route runs (a bad escape Jetty itself refuses, 414, 431) are
 * problem documents too: see {@link JettyProblems}. Thread-safe; stateless but for the router.
 */
final class HttpEdge {
  /** The policy of every response that is not a page of the dashboard (which sets its own). */
  static final String CSP = "default-src 'none'; frame-ancestors 'none'";
  private static final List<HandlerType> METHODS = List.of(HandlerType.GET, HandlerType.POST, HandlerType.PUT,
      HandlerType.PATCH, HandlerType.DELETE);

  private final InternalRouter router;

  HttpEdge(InternalRouter router) {
    this.router = router;
  }

  /** The headers every response carries, HTML or not: {@code setter(name, value)}. */
  static void securityHeaders(String path, BiConsumer<String, String> setter) {
    setter.accept("X-Content-Type-Options", "nosniff");
    setter.accept("Referrer-Policy", "no-referrer");
    setter.accept("X-Frame-Options", "DENY");
    setter.accept("Content-Security-Policy", CSP);
    if (path != null && (path.equals("/api") || path.startsWith("/api/") || path.equals("/admin")
        || path.startsWith("/admin/"))) {
      setter.accept("Cache-Control", "no-store");
    }
  }

  /** The before-handler of every path: headers first (errors carry them too), then the escapes. */
  void before(Context ctx) {
    securityHeaders(ctx.path(), ctx::header);
    checkQuery(ctx.queryString());
    checkPath(ctx);
  }

  /** Adds a {@code HEAD} route for every {@code GET} route that has none; call once, before start. */
  void addHeadRoutes() {
    for (ParsedEndpoint parsed : List.copyOf(router.allHttpHandlers())) {
      Endpoint e = parsed.endpoint;
      if (e.method == HandlerType.GET && router.findHttpHandlerEntries(HandlerType.HEAD, e.path).isEmpty()) {
        router.addHttpEndpoint(new Endpoint(HandlerType.HEAD, e.path, e.handler));
      }
    }
  }

  /** The methods {@code path} has, as an {@code Allow} header value; empty when it has none. */
  String allowed(String path) {
    List<String> methods = new ArrayList<>();
    for (HandlerType method : METHODS) {
      if (!router.findHttpHandlerEntries(method, path).isEmpty()) {
        methods.add(method.name());
        if (method == HandlerType.GET) {
          methods.add(HandlerType.HEAD.name());
        }
      }
    }
    return String.join(", ", methods);
  }

  /** Refuses a body that is not JSON with a 415; a body-less request passes (it is a 400 later). */
  static void requireJson(Context ctx) {
    String type = ctx.req().getContentType();
    if (type == null) {
      throw unsupported("no Content-Type was sent");
    }
    String[] parts = type.split(";");
    String media = parts[0].trim().toLowerCase(Locale.ROOT);
    if (!media.equals("application/json") && !(media.startsWith("application/") && media.endsWith("+json"))) {
      throw unsupported("Content-Type " + shown(media) + " was sent");
    }
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i].trim().toLowerCase(Locale.ROOT).replace("\"", "");
      if (p.startsWith("charset=") && !p.equals("charset=utf-8")) {
        throw unsupported("the charset " + shown(p.substring(8)) + " was sent");
      }
    }
  }

  private static HttpProblem unsupported(String what) {
    return new HttpProblem(415, Problem.TYPE_UNSUPPORTED, "Unsupported media type",
        what + ": send the body as JSON with Content-Type: application/json (UTF-8)", List.of(),
        Map.of("Accept-Post", "application/json"));
  }

  private static String shown(String value) {
    String safe = value.replaceAll("[^A-Za-z0-9/+._-]", "?");
    return safe.length() > 40 ? safe.substring(0, 40) + "..." : safe;
  }

  /** Every name and value of the raw query string must decode (strict %XX, UTF-8). */
  static void checkQuery(String query) {
    if (query == null || query.isEmpty()) {
      return;
    }
    for (String pair : query.split("&", -1)) {
      int eq = pair.indexOf('=');
      String rawName = eq < 0 ? pair : pair.substring(0, eq);
      String name = decode(rawName);
      if (name == null) {
        throw HttpProblem.invalid("query", "has a parameter name with a malformed %-escape: use %XX (two hex digits)"
            + " for each byte of UTF-8");
      }
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      if (value == null) {
        throw HttpProblem.invalid(shown(name), "has a malformed %-escape: use %XX (two hex digits) for each byte"
            + " of UTF-8");
      }
      String problem = Validator.textProblem(name + value, false);
      if (problem != null) {
        throw HttpProblem.invalid(shown(name), problem);
      }
    }
  }

  /** A path segment with a bad escape is a 400 naming the route's parameter at that place. */
  private void checkPath(Context ctx) {
    String raw = ctx.req().getRequestURI();
    if (raw == null || raw.indexOf('%') < 0) {
      return;
    }
    String[] segments = raw.split("/", -1);
    for (int i = 0; i < segments.length; i++) {
      String segment = decode(segments[i].replace("+", "%2B"));
      if (segment == null) {
        throw HttpProblem.invalid(parameterAt(ctx, i), "has a malformed %-escape: use %XX (two hex digits) for"
            + " each byte of UTF-8");
      }
      String problem = Validator.textProblem(segment, false);
      if (problem != null) {
        throw HttpProblem.invalid(parameterAt(ctx, i), problem);
      }
    }
  }

  private String parameterAt(Context ctx, int index) {
    HandlerType method = ctx.method() == HandlerType.HEAD ? HandlerType.GET : ctx.method();
    for (ParsedEndpoint e : router.findHttpHandlerEntries(method, ctx.path())) {
      String[] template = e.endpoint.path.split("/", -1);
      if (index < template.length && template[index].startsWith("{") && template[index].endsWith("}")) {
        return template[index].substring(1, template[index].length() - 1);
      }
    }
    return "path";
  }

  /** The decoded text, or null when an escape is malformed or the bytes are not UTF-8. */
  static String decode(String raw) {
    if (raw.indexOf('%') < 0 && raw.indexOf('+') < 0) {
      return raw;
    }
    ByteBuffer bytes = ByteBuffer.allocate(raw.length() * 4);
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length()) {
          return null;
        }
        int hi = Character.digit(raw.charAt(i + 1), 16);
        int lo = Character.digit(raw.charAt(i + 2), 16);
        if (hi < 0 || lo < 0 || raw.charAt(i + 1) > 127 || raw.charAt(i + 2) > 127) {
          return null;
        }
        bytes.put((byte) (hi * 16 + lo));
        i += 2;
      } else if (c == '+') {
        bytes.put((byte) ' ');
      } else {
        bytes.put(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
      }
    }
    bytes.flip();
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
