package io.mingus.db.internal;

import io.mingus.db.DatabaseError;
import io.mingus.db.DatabaseErrors;
import io.mingus.db.DatabaseException;
import io.mingus.db.Dialect;
import io.mingus.db.ErrorKind;
import io.mingus.db.OpenTransaction;
import io.mingus.db.RetryPolicy;
import io.mingus.db.Transaction;
import io.mingus.db.TransactionOptions;
import io.mingus.db.TransactionWork;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs transactions.
 *
 * <p>How it works. The current transaction of a thread is the {@link Scope} bound to {@link
 * #current}, a {@link ScopedValue}: nested calls (on the same thread or in a {@code
 * StructuredTaskScope} fork) find it without any thread-local, and it disappears when the outer
 * call returns. {@link #run} looks at it and the options' propagation:
 *
 * <ul>
 *   <li>no current transaction, or REQUIRES_NEW: an {@link OwnerScope} takes a connection, the
 *       work runs with the scope bound, then commit (or roll back), release, hooks. This is the
 *       only place a retry policy applies: the whole attempt runs again.
 *   <li>REQUIRED with a current one: the work runs on it; a failure marks it rollback-only.
 *   <li>NESTED with a current one: a savepoint; a failure rolls back to it and is rethrown.
 * </ul>
 *
 * <p>Each owner asks its pool's circuit breaker for permission before taking a connection and
 * reports the outcome after: a connection the pool could not open counts as a failure, a
 * transaction that ran as a success, and one whose lent connection broke not at all (see {@link
 * Breaker}); such a break also retires the pool's other connections of the same age. Open owners are kept in {@link #open} for leak reports and for
 * {@link #openTransactions()}.
 */
public final class Engine {
  private static final Logger LOG = LoggerFactory.getLogger("io.mingus.db.transactions");

  private final ScopedValue<Scope> current = ScopedValue.newInstance();
  private final Replica replica;
  private final Set<OwnerScope> open = ConcurrentHashMap.newKeySet();
  private final Set<OwnerScope> reportedLeaks = ConcurrentHashMap.newKeySet();
  private final Pools pools;
  private final Stats stats;
  private final Dialect dialect;
  private final Function<Connection, org.hibernate.Session> ormOpener;
  private final Duration leakThreshold;
  private final boolean echoPool;
  private final Sleeper sleeper;

  /** Sleeps between retries; a test replaces it to observe the delays. */
  @FunctionalInterface
  public interface Sleeper {
    /** Waits {@code delay}. */
    void sleep(Duration delay) throws InterruptedException;
  }

  public Engine(Pools pools, Stats stats, Dialect dialect, Function<Connection, org.hibernate.Session> ormOpener,
      Duration leakThreshold, boolean echoPool, Sleeper sleeper, Replica replica) {
    this.replica = replica;
    this.pools = pools;
    this.stats = stats;
    this.dialect = dialect;
    this.ormOpener = ormOpener;
    this.leakThreshold = leakThreshold;
    this.echoPool = echoPool;
    this.sleeper = sleeper;
  }

  Pools pools() {
    return pools;
  }

  Stats stats() {
    return stats;
  }

  Dialect dialect() {
    return dialect;
  }

  boolean echoPool() {
    return echoPool;
  }

  boolean captureStacks() {
    return !leakThreshold.isZero();
  }

  org.hibernate.Session openOrm(Connection c) {
    return ormOpener.apply(c);
  }

  /** The name of the transaction bound to this thread, for log lines. */
  public String currentName() {
    return current.isBound() ? current.get().name() : "(none)";
  }

  /** Runs {@code work} as {@code options} say; see the class comment. */
  public <R, X extends Exception> R run(TransactionOptions options, TransactionWork<R, X> work) throws X {
    Scope cur = current.isBound() ? current.get() : null;
    if (cur != null) {
      switch (options.propagation()) {
        case REQUIRED -> {
          return joined(cur, work);
        }
        case NESTED -> {
          return nested(cur, options, work);
        }
        case REQUIRES_NEW -> {
          // a transaction of its own, below
        }
      }
    }
    return options.retry() == null ? attempt(options, work, cur) : retrying(options, work, cur);
  }

  /** An explicit transaction; never joins, never becomes current. */
  public Transaction begin(TransactionOptions options) {
    Scope cur = current.isBound() ? current.get() : null;
    // an explicit transaction may be rolled back after its statements ran: never in auto-commit
    TransactionOptions routed = (replica == null ? options : replica.route(options)).withSingleStatement(false);
    Breaker breaker = permit(routed);
    return openOwner(routed, cur, breaker, System.nanoTime());
  }

  /** Ends an explicit transaction at its {@code close()}. */
  void finishExplicit(OwnerScope scope, Throwable failure) {
    try {
      release(scope, failure);
    } finally {
      pools.breaker(scope.options.pool()).finished(scope.startNanos, failure);
    }
    scope.runHooks(failure);
  }

  private <R, X extends Exception> R joined(Scope cur, TransactionWork<R, X> work) throws X {
    try {
      return work.execute(cur);
    } catch (Throwable t) {
      cur.markRollbackOnly(t);
      throw t;
    }
  }

  private <R, X extends Exception> R nested(Scope cur, TransactionOptions options, TransactionWork<R, X> work)
      throws X {
    OwnerScope owner = cur.owner();
    Savepoint savepoint;
    try {
      owner.flushOrm();
      savepoint = owner.savepoint();
    } catch (SQLException e) {
      throw new DatabaseException("could not set a savepoint for nested block '" + options.name()
          + "' in transaction '" + owner.name() + "': " + e.getMessage(), e);
    }
    NestedScope scope = new NestedScope(cur, options.name());
    try {
      R result = ScopedValue.where(current, scope).call(() -> work.execute(scope));
      if (scope.rollbackOnlyCause != null) {
        throw new DatabaseException("nested block '" + options.name() + "' was rolled back to its savepoint: a"
            + " joined block inside it failed (" + scope.rollbackOnlyCause + ")", scope.rollbackOnlyCause);
      }
      owner.flushOrm();
      releaseSavepoint(owner, savepoint, options.name());
      scope.mergeIntoParent();
      return result;
    } catch (Throwable t) {
      try {
        owner.connection.rollback(savepoint);
        owner.undoOrmAfterSavepointRollback();
      } catch (SQLException | RuntimeException e) {
        t.addSuppressed(e);
        cur.markRollbackOnly(t);
      }
      for (Runnable hook : scope.afterRollback) {
        OwnerScope.runHook(scope.name(), hook, t);
      }
      throw t;
    }
  }

  private static void releaseSavepoint(OwnerScope owner, Savepoint savepoint, String name) {
    try {
      owner.connection.releaseSavepoint(savepoint);
    } catch (SQLException e) {
      throw new DatabaseException("could not release the savepoint of nested block '" + name + "' in transaction '"
          + owner.name() + "': " + e.getMessage(), e);
    }
  }

  private <R, X extends Exception> R retrying(TransactionOptions options, TransactionWork<R, X> work, Scope parent)
      throws X {
    RetryPolicy policy = options.retry();
    long deadline = System.nanoTime() + policy.deadline().toNanos();
    for (int attempt = 1; ; attempt++) {
      try {
        return attempt(options, work, parent);
      } catch (Exception e) {
        DatabaseError error = DatabaseErrors.classify(e);
        if (!error.retryable() || attempt >= policy.maxAttempts()) {
          throw e;
        }
        Duration delay = policy.delay(attempt, ThreadLocalRandom.current()::nextDouble);
        if (System.nanoTime() + delay.toNanos() - deadline > 0) {
          throw e;
        }
        stats.retried();
        LOG.warn("transaction '{}' failed ({}, attempt {} of {}); retrying in {} ms: {}", options.name(),
            error.kind(), attempt, policy.maxAttempts(), delay.toMillis(), error.message());
        try {
          sleeper.sleep(delay);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          e.addSuppressed(interrupted);
          throw e;
        }
      }
    }
  }

  private <R, X extends Exception> R attempt(TransactionOptions requested, TransactionWork<R, X> work, Scope parent)
      throws X {
    Opened opened = open(requested, parent);
    OwnerScope scope = opened.scope();
    Breaker breaker = opened.breaker();
    long start = opened.start();
    Throwable failure = null;
    R result;
    try {
      result = ScopedValue.where(current, scope).call(() -> work.execute(scope));
      scope.commit();
    } catch (Throwable t) {
      DatabaseException hidden = hiddenFailure(scope, t);
      failure = hidden != null ? hidden : t;
      if (replica != null && scope.options.pool() == io.mingus.db.PoolName.ANALYTICS
          && Breaker.isConnectionFailure(failure)) {
        // the next attempt (a retry policy's) routes around a replica that went away
        replica.unreachable(failure);
      }
      scope.rollbackQuietly(failure);
      if (hidden != null) {
        throw hidden;
      }
      throw t;
    } finally {
      // The connection goes back and the breaker hears the outcome before any hook runs: a hook
      // may be slow, may open a transaction of its own, or may throw.
      release(scope, failure);
      breaker.finished(start, failure);
      if (failure != null) {
        scope.runHooks(failure);
      }
    }
    scope.runHooks(null);
    return result;
  }

  /**
   * What a failure {@code t} of the work or the commit of {@code scope} is to the caller, when not
   * itself: a connection that broke during a transaction means nothing committed (retryable), while
   * during a single statement in auto-commit it means the outcome is unknown.
   */
  private static DatabaseException hiddenFailure(OwnerScope scope, Throwable t) {
    boolean broken = scope.connectionBroken();
    if (scope.autoCommit()) {
      boolean unknownAlready = DatabaseErrors.classify(t).kind() == ErrorKind.COMMIT_UNKNOWN;
      return !unknownAlready && (broken || Breaker.isConnectionFailure(t)) ? scope.brokenBeforeCommit(t) : null;
    }
    return Breaker.isConnectionFailure(t) || !broken ? null : scope.brokenBeforeCommit(t);
  }

  private record Opened(OwnerScope scope, Breaker breaker, long start) {}

  /**
   * Opens the owner of an attempt on the pool its options name, or on the main pool when they read
   * a replica that is unusable and allow falling back (see {@link Replica}).
   */
  private Opened open(TransactionOptions requested, Scope parent) {
    TransactionOptions options = replica == null ? requested : replica.route(requested);
    long start = System.nanoTime();
    Breaker breaker = permit(options);
    try {
      return new Opened(openOwner(options, parent, breaker, start), breaker, start);
    } catch (RuntimeException e) {
      if (replica == null || !Replica.fallsBack(options) || !Breaker.isConnectionFailure(e)) {
        throw e;
      }
      // the replica went away since it was last seen: this transaction may read the primary
      replica.unreachable(e);
      TransactionOptions primary = options.withPool(io.mingus.db.PoolName.MAIN);
      long again = System.nanoTime();
      Breaker main = permit(primary);
      return new Opened(openOwner(primary, parent, main, again), main, again);
    }
  }

  private Breaker permit(TransactionOptions options) {
    Breaker breaker = pools.breaker(options.pool());
    breaker.permit(options.name());
    return breaker;
  }

  private OwnerScope openOwner(TransactionOptions options, Scope parent, Breaker breaker, long start) {
    Connection c;
    try {
      c = OwnerScope.acquire(this, options, parent);
    } catch (RuntimeException e) {
      breaker.couldNotConnect(start, e);
      throw e;
    }
    try {
      OwnerScope scope = OwnerScope.open(this, options, parent, c);
      stats.begun();
      open.add(scope);
      return scope;
    } catch (RuntimeException e) {
      // open() gave the connection back
      pools.returned(options.pool());
      lentConnectionFailed(options, e);
      breaker.finished(start, e);
      throw e;
    }
  }

  private void lentConnectionFailed(TransactionOptions options, Throwable failure) {
    if (Breaker.isConnectionFailure(failure)) {
      pools.connectionLost(options.pool());
    }
  }

  /** Releases an owner's connection and counts it; for explicit transactions too. */
  private void release(OwnerScope scope, Throwable failure) {
    scope.release();
    pools.returned(scope.options.pool());
    open.remove(scope);
    reportedLeaks.remove(scope);
    stats.ended(scope.committed());
    if (failure != null) {
      lentConnectionFailed(scope.options, failure);
    }
  }

  /** Every transaction holding a connection now. */
  public List<OpenTransaction> openTransactions() {
    List<OpenTransaction> list = new ArrayList<>();
    long now = System.nanoTime();
    for (OwnerScope s : open) {
      list.add(new OpenTransaction(s.name(), s.options.pool(), s.thread.getName(),
          Duration.ofNanos(now - s.startNanos), s.acquiredAt == null ? List.of() : List.of(s.acquiredAt)));
    }
    return list;
  }

  /** Logs, once each, the transactions that have held their connection past the leak threshold. */
  public void reportLeaks() {
    if (leakThreshold.isZero()) {
      return;
    }
    long now = System.nanoTime();
    for (OwnerScope s : open) {
      Duration held = Duration.ofNanos(now - s.startNanos);
      if (held.compareTo(leakThreshold) > 0 && reportedLeaks.add(s)) {
        Throwable where = new Throwable("transaction '" + s.name() + "' acquired its connection here");
        where.setStackTrace(s.acquiredAt == null ? new StackTraceElement[0] : s.acquiredAt);
        LOG.warn("possible connection leak: transaction '{}' on thread {} has held a connection of pool {} for {} ms"
            + " (DB_LEAK_DETECTION_MS={}); end it, or raise the threshold if it is meant to run this long",
            s.name(), s.thread.getName(), s.options.pool().label(), held.toMillis(), leakThreshold.toMillis(), where);
      }
    }
  }
}
