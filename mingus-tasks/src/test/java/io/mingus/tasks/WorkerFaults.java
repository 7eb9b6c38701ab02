package io.mingus.tasks;

/**
 * Faults of a worker for the recovery tests of the modules above (published in this module's
 * test-jar): a worker stopped as if its process had died. Not for production code.
 */
public final class WorkerFaults {
  private WorkerFaults() {}

  /**
   * Stops {@code worker} as if its process died: nothing more is written for it, its running tasks
   * are interrupted and stay {@code running} under its lease until a rescuer puts them back.
   */
  public static void kill(Worker worker) {
    worker.runtime().halt();
  }
}
