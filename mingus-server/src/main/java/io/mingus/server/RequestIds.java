package io.mingus.server;

import io.javalin.http.Context;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.MDC;

/**
 * The id of every request: the caller's {@code X-Request-Id} when it is a plain token, else a new
 * UUID. It is in the response's {@code X-Request-Id} header, in problem documents and in log lines.
 */
final class RequestIds {
  static final String HEADER = "X-Request-Id";
  private static final String ATTRIBUTE = "mingus.request-id";
  /** The key of the request id in the log's MDC (text logs show it as request=...). */
  static final String MDC_KEY = "request_id";
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

  private RequestIds() {}

  /** Assigns the request's id; a before-handler of every path. */
  static void assign(Context ctx) {
    String offered = ctx.header(HEADER);
    String id = offered != null && SAFE.matcher(offered).matches() ? offered : UUID.randomUUID().toString();
    ctx.attribute(ATTRIBUTE, id);
    ctx.header(HEADER, id);
    MDC.put(MDC_KEY, id);
  }

  /** Clears the log context after the request (an after-handler of every path). */
  static void clear(Context ctx) {
    MDC.remove(MDC_KEY);
  }

  /** The request's id (assigned now if no before-handler ran). */
  static String of(Context ctx) {
    String id = ctx.attribute(ATTRIBUTE);
    if (id == null) {
      assign(ctx);
      id = ctx.attribute(ATTRIBUTE);
    }
    return id;
  }
}
