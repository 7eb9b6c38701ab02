package io.mingus.comms;

import java.util.List;

/**
 * One page of a keyset-paged listing.
 *
 * @param items the items of this page
 * @param nextCursor the opaque cursor of the next page, or {@code null} at the end
 * @param <T> the item type
 */
public record Page<T>(List<T> items, String nextCursor) {
  /** Copies the items. */
  public Page {
    items = List.copyOf(items);
  }
}
