package io.mingus.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.UUID;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's error handler, for the errors Jetty answers itself before any route runs: a request line
 * or header it cannot parse (a malformed %-escape in the path, 400), a URI too long (414), headers
 * too large (431). They become problem documents with the security headers, like every other error,
 * instead of Jetty's HTML page. The detail names the rule, never the offending input.
 */
final class JettyProblems extends ErrorHandler {
  private final ObjectMapper mapper;

  JettyProblems(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /** Jetty writes an error body only for GET, POST and HEAD by default: every method gets its problem. */
  @Override
  public boolean errorPageForMethod(String method) {
    return true;
  }

  @Override
  protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
      Callback callback) {
    String requestId = UUID.randomUUID().toString();
    // the path is not echoed: it is what Jetty could not parse, or too long
    String path = Request.getPathInContext(request);
    boolean known = path != null && !path.equals("/badMessage");
    Problem problem = new Problem(code == 400 ? Problem.TYPE_INVALID : "about:blank", title(code), code,
        detail(code), null, List.of(), requestId);
    byte[] body;
    try {
      body = mapper.writeValueAsBytes(problem);
    } catch (JsonProcessingException e) {
      callback.failed(e);
      return;
    }
    response.setStatus(code);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, Problem.CONTENT_TYPE);
    response.getHeaders().put(RequestIds.HEADER, requestId);
    HttpEdge.securityHeaders(known ? path : "/api", (name, value) -> response.getHeaders().put(name, value));
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.write(true, ByteBuffer.wrap(body), callback);
  }

  private static String title(int code) {
    String reason = HttpStatus.getMessage(code);
    return reason == null ? "Error" : reason;
  }

  private static String detail(int code) {
    return switch (code) {
      case 400 -> "the request could not be parsed: check the request line (a %-escape is %XX, two hex digits),"
          + " the headers and the body framing";
      case 414 -> "the request URI is too long: send long values in a JSON body instead";
      case 431 -> "the request headers are too large: send fewer or shorter headers";
      case 408 -> "the request was not received in time";
      default -> "the request could not be handled (" + title(code) + ")";
    };
  }
}
