package io.mingus.db;

/** How a transaction relates to the one already running in the caller, if any. */
public enum Propagation {
  /**
   * Join the caller's transaction, or start one when there is none (the default). A failure that
   * escapes a joined block marks the whole transaction rollback-only.
   */
  REQUIRED,
  /**
   * Always start a transaction of its own on a connection of its own, which commits or rolls back
   * on its own, whatever the caller's transaction does afterwards.
   */
  REQUIRES_NEW,
  /**
   * Inside the caller's transaction, run under a savepoint: a failing block rolls back only its
   * own work and the caller may catch the exception and go on. Without a caller's transaction it
   * behaves as {@link #REQUIRED}. Fails loudly where the driver does not support savepoints.
   */
  NESTED
}
