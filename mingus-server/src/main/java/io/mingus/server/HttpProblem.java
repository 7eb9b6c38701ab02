package io.mingus.server;

import java.util.List;
import java.util.Map;

/**
 * A request the server refuses with a 4xx status: thrown by the handlers, turned into an RFC 9457
 * problem document by {@link ProblemMapper}, the one exception mapper.
 */
final class HttpProblem extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String type;
  private final String title;
  private final transient List<Problem.FieldProblem> errors;
  private final transient Map<String, String> headers;

  HttpProblem(int status, String type, String title, String detail, List<Problem.FieldProblem> errors,
      Map<String, String> headers) {
    super(detail, null, false, false);
    this.status = status;
    this.type = type;
    this.title = title;
    this.errors = List.copyOf(errors);
    this.headers = Map.copyOf(headers);
  }

  /** 400: the body or a parameter is wrong; every offending field is listed. */
  static HttpProblem invalid(String detail, List<Problem.FieldProblem> errors) {
    return new HttpProblem(400, Problem.TYPE_INVALID, "Invalid request", detail, errors, Map.of());
  }

  /** 400 for one field. */
  static HttpProblem invalid(String field, String message) {
    return invalid(field + " " + message, List.of(new Problem.FieldProblem(field, message)));
  }

  /** 404. */
  static HttpProblem notFound(String detail) {
    return new HttpProblem(404, Problem.TYPE_NOT_FOUND, "Not found", detail, List.of(), Map.of());
  }

  /** 409: the resource is in a state that does not allow the action. */
  static HttpProblem conflict(String detail) {
    return new HttpProblem(409, Problem.TYPE_CONFLICT, "Conflict", detail, List.of(), Map.of());
  }

  /**
   * 422: an idempotency key already names a different request (as payment APIs answer); the first
   * request's communication is not shown.
   */
  static HttpProblem keyReused(String field, List<String> differences) {
    String message = "was already used for a different request (" + String.join(", ", differences)
        + (differences.size() == 1 ? " differs)" : " differ)")
        + ": use a new key for a new request; repeating the first request exactly returns its communication";
    return new HttpProblem(422, Problem.TYPE_IDEMPOTENCY, "Idempotency key reused", field + " " + message,
        List.of(new Problem.FieldProblem(field, message)), Map.of());
  }

  /** 413. */
  static HttpProblem tooLarge(long maxBytes) {
    return new HttpProblem(413, Problem.TYPE_TOO_LARGE, "Request body too large",
        "the request body is larger than " + maxBytes + " bytes; send less (a batch holds at most 1,000 items)",
        List.of(), Map.of());
  }

  /** 401 with a Bearer challenge. */
  static HttpProblem unauthorized(String detail) {
    return unauthorized(detail, Access.BEARER_CHALLENGE);
  }

  /** 401 with this {@code WWW-Authenticate} challenge. */
  static HttpProblem unauthorized(String detail, String challenge) {
    return new HttpProblem(401, Problem.TYPE_UNAUTHORIZED, "Unauthorized", detail, List.of(),
        Map.of("WWW-Authenticate", challenge));
  }

  /** 403. */
  static HttpProblem forbidden(String detail) {
    return new HttpProblem(403, Problem.TYPE_FORBIDDEN, "Forbidden", detail, List.of(), Map.of());
  }

  int status() {
    return status;
  }

  String type() {
    return type;
  }

  String title() {
    return title;
  }

  List<Problem.FieldProblem> errors() {
    return errors;
  }

  Map<String, String> headers() {
    return headers;
  }
}
