package io.mingus.server;

import io.javalin.http.Context;
import io.javalin.http.ExceptionHandler;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.mingus.comms.IdempotencyKeyReusedException;
import io.mingus.comms.NotFoundException;
import io.mingus.comms.ValidationException;
import io.mingus.db.DatabaseError;
import io.mingus.db.DatabaseErrors;
import io.mingus.db.DatabaseUnavailableException;
import io.mingus.db.ErrorKind;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's one exception mapper: every failure of a request becomes an RFC 9457 problem
 * document. Bad input is a 4xx naming the offending fields; a database outage is a 503 with
 * {@code Retry-After}; anything else is a 500 whose stack goes to the log once, under the request
 * id the response carries. Thread-safe.
 */
final class ProblemMapper implements ExceptionHandler<Exception> {
  private static final Logger LOG = LoggerFactory.getLogger(ProblemMapper.class);

  private final Duration retryAfter;

  ProblemMapper(Duration retryAfter) {
    this.retryAfter = retryAfter;
  }

  @Override
  public void handle(Exception failure, Context ctx) {
    String requestId = RequestIds.of(ctx);
    Problem problem = switch (failure) {
      case HttpProblem p -> {
        p.headers().forEach(ctx::header);
        yield new Problem(p.type(), p.title(), p.status(), p.getMessage(), ctx.path(), p.errors(), requestId);
      }
      case ValidationException v -> new Problem(Problem.TYPE_INVALID, "Invalid request", 400, v.getMessage(),
          ctx.path(), v.errors().stream()
              .map(e -> new Problem.FieldProblem(snakeCase(e.field()), e.message())).toList(),
          requestId);
      case IdempotencyKeyReusedException k -> {
        HttpProblem p = HttpProblem.keyReused(k.field(), k.differences());
        yield new Problem(p.type(), p.title(), p.status(), p.getMessage(), ctx.path(), p.errors(), requestId);
      }
      case NotFoundException n -> new Problem(Problem.TYPE_NOT_FOUND, "Not found", 404, n.getMessage(), ctx.path(),
          List.of(), requestId);
      case HttpResponseException h -> fromJavalin(h, ctx, requestId);
      default -> unexpected(failure, ctx, requestId);
    };
    write(ctx, problem);
  }

  /** Writes a problem document as the response. */
  static void write(Context ctx, Problem problem) {
    // json() sets application/json; the problem type replaces it
    ctx.status(problem.status()).json(problem);
    ctx.contentType(Problem.CONTENT_TYPE);
  }

  private Problem fromJavalin(HttpResponseException h, Context ctx, String requestId) {
    int status = h.getStatus();
    if (status == HttpStatus.CONTENT_TOO_LARGE.getCode()) {
      return new Problem(Problem.TYPE_TOO_LARGE, "Request body too large", status, h.getMessage(), ctx.path(),
          List.of(), requestId);
    }
    HttpStatus known = HttpStatus.forStatus(status);
    return new Problem("about:blank", known.getMessage(), status,
        status == 404 ? "no endpoint " + ctx.method() + " " + ctx.path() : h.getMessage(), ctx.path(),
        List.of(), requestId);
  }

  private Problem unexpected(Exception failure, Context ctx, String requestId) {
    DatabaseError error = DatabaseErrors.classify(failure);
    boolean outage = failure instanceof DatabaseUnavailableException
        || error.kind() == ErrorKind.CONNECTION || error.kind() == ErrorKind.POOL_EXHAUSTED;
    if (outage) {
      LOG.warn("request {} {} {} answered 503: the database is unavailable ({}: {})", requestId, ctx.method(),
          ctx.path(), error.kind().name().toLowerCase(Locale.ROOT), failure.getMessage());
      ctx.header("Retry-After", Long.toString(Math.max(1, retryAfter.toSeconds())));
      return new Problem(Problem.TYPE_UNAVAILABLE, "Database unavailable", 503,
          error.kind() == ErrorKind.POOL_EXHAUSTED
              ? "every database connection is busy; retry after the Retry-After delay"
              : "the database cannot be reached; retry after the Retry-After delay",
          ctx.path(), List.of(), requestId);
    }
    LOG.error("request {} {} {} failed with an unexpected error", requestId, ctx.method(), ctx.path(), failure);
    return new Problem(Problem.TYPE_INTERNAL, "Internal server error", 500,
        "an unexpected error occurred; report request id " + requestId + " to find it in the server log",
        ctx.path(), List.of(), requestId);
  }

  /** {@code userId} → {@code user_id}; paths such as {@code requests[2].messageType} keep their shape. */
  static String snakeCase(String field) {
    if (field == null) {
      return null;
    }
    StringBuilder out = new StringBuilder(field.length() + 4);
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (Character.isUpperCase(c)) {
        if (i > 0 && Character.isLetterOrDigit(field.charAt(i - 1))) {
          out.append('_');
        }
        out.append(Character.toLowerCase(c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
