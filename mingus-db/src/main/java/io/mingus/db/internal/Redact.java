package io.mingus.db.internal;

import java.util.regex.Pattern;

/** Removes secrets from text that may reach a message or a log line. */
public final class Redact {
  private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)((?:password|pwd|passwd)=)[^&;]*");

  private Redact() {}

  /**
   * The URL with any password replaced by {@code ***}: the user info's password (up to the last
   * {@code @}, so that an unencoded {@code @}, {@code /} or {@code ?} in a malformed URL's password
   * is masked too) and {@code password=} parameters.
   */
  public static String url(String url) {
    if (url == null) {
      return null;
    }
    String masked = url;
    int start = url.indexOf("://");
    int at = url.lastIndexOf('@');
    if (start >= 0 && at > start + 3) {
      String userInfo = url.substring(start + 3, at);
      int colon = userInfo.indexOf(':');
      if (colon >= 0) {
        masked = url.substring(0, start + 3) + userInfo.substring(0, colon) + ":***" + url.substring(at);
      }
    }
    return PASSWORD_PARAM.matcher(masked).replaceAll("$1***");
  }
}
