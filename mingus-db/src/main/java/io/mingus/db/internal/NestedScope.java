package io.mingus.db.internal;

/**
 * A block running under a savepoint of its owner's transaction. Its hooks join the parent's when
 * it succeeds; its after-rollback hooks run at once when it rolls back to its savepoint.
 */
final class NestedScope extends Scope {
  private final Scope parent;

  NestedScope(Scope parent, String name) {
    super(name);
    this.parent = parent;
  }

  @Override
  OwnerScope owner() {
    return parent.owner();
  }

  @Override
  Scope parent() {
    return parent;
  }

  void mergeIntoParent() {
    parent.afterCommit.addAll(afterCommit);
    parent.afterRollback.addAll(afterRollback);
  }
}
