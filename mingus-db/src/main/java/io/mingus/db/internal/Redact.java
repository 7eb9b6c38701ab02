package io.mingus.db.internal;

import java.util.regex.Pattern;

/** Removes secrets from text that may reach a message or a log line. */
public final class Redact {
  private static final Pattern USERINFO_PASSWORD = Pattern.compile("(//[^/:@]*):[^@/]*@");
  private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)((?:password|pwd|passwd)=)[^&;]*");

  private Redact() {}

  /** The URL with any password replaced by {@code ***}. */
  public static String url(String url) {
    if (url == null) {
      return null;
    }
    String masked = USERINFO_PASSWORD.matcher(url).replaceAll("$1:***@");
    return PASSWORD_PARAM.matcher(masked).replaceAll("$1***");
  }
}
