package io.mingus.comms.internal;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** The opaque keyset cursor of communication listings: the last id seen, base64url-encoded. */
public final class Cursor {
  private static final String PREFIX = "c1:";

  private Cursor() {}

  /** The cursor that continues after {@code lastId}. */
  public static String encode(long lastId) {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString((PREFIX + lastId).getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * The last id a cursor names.
   *
   * @throws IllegalArgumentException when the cursor was not made by {@link #encode(long)}
   */
  public static long decode(String cursor) {
    try {
      String s = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII);
      if (!s.startsWith(PREFIX)) {
        throw new IllegalArgumentException("not a communications cursor");
      }
      long id = Long.parseLong(s.substring(PREFIX.length()));
      if (id <= 0) {
        throw new IllegalArgumentException("not a communications cursor");
      }
      return id;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a cursor returned by a previous page", e);
    }
  }
}
