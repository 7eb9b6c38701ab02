package io.mingus.comms;

import java.util.List;
import java.util.stream.Collectors;

/** Bad input: carries every offending field. Nothing was changed in the database. */
public final class ValidationException extends CommsException {
  private static final long serialVersionUID = 1L;

  private final transient List<FieldError> errors;

  /**
   * An exception listing these problems.
   *
   * @param what what was being validated, such as {@code "send request"}
   */
  public ValidationException(String what, List<FieldError> errors) {
    super("invalid " + what + ": " + errors.stream()
        .map(e -> e.field() + " " + e.message()).collect(Collectors.joining("; ")));
    this.errors = List.copyOf(errors);
  }

  /** Every offending field, in the order they were checked. */
  public List<FieldError> errors() {
    return errors;
  }
}
