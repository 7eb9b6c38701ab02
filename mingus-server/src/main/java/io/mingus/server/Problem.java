package io.mingus.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * An RFC 9457 problem document ({@code application/problem+json}), with Mingus's two extensions:
 * the offending fields of a bad request and the id of the request, which the server's log carries
 * too.
 */
record Problem(
    String type,
    String title,
    int status,
    String detail,
    String instance,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<FieldProblem> errors,
    String requestId) {

  static final String CONTENT_TYPE = "application/problem+json";
  static final String TYPE_INVALID = "urn:mingus:problem:invalid-request";
  static final String TYPE_NOT_FOUND = "urn:mingus:problem:not-found";
  static final String TYPE_CONFLICT = "urn:mingus:problem:conflict";
  static final String TYPE_TOO_LARGE = "urn:mingus:problem:body-too-large";
  static final String TYPE_UNAUTHORIZED = "urn:mingus:problem:unauthorized";
  static final String TYPE_FORBIDDEN = "urn:mingus:problem:forbidden";
  static final String TYPE_UNSUPPORTED = "urn:mingus:problem:unsupported-media-type";
  static final String TYPE_METHOD = "urn:mingus:problem:method-not-allowed";
  static final String TYPE_IDEMPOTENCY = "urn:mingus:problem:idempotency-key-reused";
  static final String TYPE_UNAVAILABLE = "urn:mingus:problem:database-unavailable";
  static final String TYPE_INTERNAL = "urn:mingus:problem:internal-error";

  /** One offending field: its JSON path (such as {@code communications[3].channel}) and the rule. */
  record FieldProblem(String field, String message) {}
}
