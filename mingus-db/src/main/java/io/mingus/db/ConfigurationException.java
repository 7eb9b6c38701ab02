package io.mingus.db;

/**
 * A configuration value is missing or not allowed. The message is one line naming the variable,
 * the value (never a password) and what is allowed.
 */
public final class ConfigurationException extends DatabaseException {
  private static final long serialVersionUID = 1L;

  /** A configuration failure with its one-line message. */
  public ConfigurationException(String message) {
    super(message, null, null);
  }
}
