package io.mingus.tasks.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The workers of this process that want to hear, without any round trip, that a queue got tasks:
 * the task queue tells them after each enqueuing commit. Thread-safe.
 */
public final class LocalWakeups {
  private final List<Consumer<String>> wakers = new CopyOnWriteArrayList<>();

  /** Tells every waker that {@code queue} got tasks. */
  public void wake(String queue) {
    for (Consumer<String> w : wakers) {
      w.accept(queue);
    }
  }

  public boolean isEmpty() {
    return wakers.isEmpty();
  }

  public void add(Consumer<String> waker) {
    wakers.add(waker);
  }

  public void remove(Consumer<String> waker) {
    wakers.remove(waker);
  }
}
