package io.mingus.tasks.internal;

import java.util.List;

/** The claimed tasks of one queue that wait for a slot, as a running slot sees them. */
public interface ReadyQueue {

  /** The queue's name. */
  String queue();

  /**
   * Called by a slot whose task ended: the next ready task for the same slot, or null when there
   * is none (the slot is freed) or the worker stops claiming.
   */
  Execution next();

  /** Takes out the ready tasks named {@code name} (their rate limit is used up). */
  List<Execution> takeReady(String name);
}
