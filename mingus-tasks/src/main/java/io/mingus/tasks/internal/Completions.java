package io.mingus.tasks.internal;

import io.mingus.tasks.PhasedTask;
import java.util.concurrent.CompletableFuture;

/** Where a slot hands completions to be written in batches: the {@link Completer}. */
public interface Completions {

  /** Takes an attempt whose task wrote nothing and committed; it is forgotten once written. */
  void add(Execution x);

  /**
   * Takes a phased attempt whose call returned (its outcome set on it), to be recorded with its
   * completion; the caller forgets the attempt once the future is done.
   */
  CompletableFuture<Completer.Recorded> record(Execution x, PhasedTask<?, ?, ?> task);
}
