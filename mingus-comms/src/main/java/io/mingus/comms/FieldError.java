package io.mingus.comms;

/**
 * One field's problem, for 400 responses.
 *
 * @param field the field, as named in the request ({@code snake_case} in JSON is the server's job)
 * @param message what is wrong with it and what is allowed
 */
public record FieldError(String field, String message) {}
