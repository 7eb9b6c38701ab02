package io.mingus.db;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How one transaction runs: its propagation, pool, read-only flag, isolation, statement
 * timeout, name and retry policy. Immutable; start from {@link #defaults()} or {@link
 * #named(String)} and change one field at a time:
 *
 * <pre>{@code
 * var options = TransactionOptions.named("log-communication")
 *     .withRetry(RetryPolicy.defaults())
 *     .withTimeout(Duration.ofSeconds(5));
 * }</pre>
 *
 * @param name shows up in logs, leak reports and slow-query lines
 * @param propagation how it relates to the caller's transaction
 * @param pool the pool that lends the connection (when this transaction opens one)
 * @param readOnly whether the connection is set read-only
 * @param isolation the isolation level
 * @param timeout the statement timeout of every statement in the transaction, or {@code null}
 * @param retry the retry policy of the outermost transaction, or {@code null} for none
 * @param primaryFallback a read-only transaction on the analytics pool may run on the primary (the
 *     main pool) when the replica is unreachable or behind more than {@code
 *     ANALYTICS_MAX_LAG_SECONDS}; without it such a transaction fails
 * @param singleStatement the work is one statement (an {@code INSERT ... RETURNING}, say): a
 *     transaction that opens its own connection then runs it in auto-commit mode, without {@code
 *     BEGIN} and {@code COMMIT}, which saves the commit's round trip; see {@link
 *     #withSingleStatement(boolean)}
 */
public record TransactionOptions(
    String name,
    Propagation propagation,
    PoolName pool,
    boolean readOnly,
    Isolation isolation,
    Duration timeout,
    RetryPolicy retry,
    boolean primaryFallback,
    boolean singleStatement) {

  private static final TransactionOptions DEFAULTS =
      new TransactionOptions("tx", Propagation.REQUIRED, PoolName.MAIN, false, Isolation.DEFAULT, null, null,
          false, false);

  /** Validates every field. */
  public TransactionOptions {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(propagation, "propagation");
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(isolation, "isolation");
    if (name.isBlank()) {
      throw new IllegalArgumentException("a transaction name must not be blank");
    }
    if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
      throw new IllegalArgumentException("timeout must be positive, was " + timeout);
    }
  }

  /** REQUIRED on the main pool, read-write, default isolation, no timeout, no retry. */
  public static TransactionOptions defaults() {
    return DEFAULTS;
  }

  /** The defaults with this name. */
  public static TransactionOptions named(String name) {
    return DEFAULTS.withName(name);
  }

  /** A read-only transaction on the analytics pool (a replica when one is configured). */
  public static TransactionOptions analytics(String name) {
    return named(name).withPool(PoolName.ANALYTICS).withReadOnly(true);
  }

  /** The statement timeout, if any. */
  public Optional<Duration> statementTimeout() {
    return Optional.ofNullable(timeout);
  }

  /** These options with another name. */
  public TransactionOptions withName(String n) {
    return new TransactionOptions(n, propagation, pool, readOnly, isolation, timeout,
        retry, primaryFallback, singleStatement);
  }

  /** These options with another propagation. */
  public TransactionOptions withPropagation(Propagation p) {
    return new TransactionOptions(name, p, pool, readOnly, isolation, timeout, retry, primaryFallback, singleStatement);
  }

  /** These options on another pool. */
  public TransactionOptions withPool(PoolName p) {
    return new TransactionOptions(name, propagation, p, readOnly, isolation, timeout,
        retry, primaryFallback, singleStatement);
  }

  /** These options, read-only or not. */
  public TransactionOptions withReadOnly(boolean ro) {
    return new TransactionOptions(name, propagation, pool, ro, isolation, timeout,
        retry, primaryFallback, singleStatement);
  }

  /** These options with another isolation level. */
  public TransactionOptions withIsolation(Isolation i) {
    return new TransactionOptions(name, propagation, pool, readOnly, i, timeout,
        retry, primaryFallback, singleStatement);
  }

  /** These options with a statement timeout ({@code SET LOCAL statement_timeout} on PostgreSQL). */
  public TransactionOptions withTimeout(Duration t) {
    return new TransactionOptions(name, propagation, pool, readOnly, isolation, t,
        retry, primaryFallback, singleStatement);
  }

  /** These options, retried as a whole by this policy when outermost; {@code null} for none. */
  public TransactionOptions withRetry(RetryPolicy r) {
    return new TransactionOptions(name, propagation, pool, readOnly, isolation, timeout,
        r, primaryFallback, singleStatement);
  }

  /**
   * These options, allowed or not to run on the primary when the analytics replica is unreachable
   * or too far behind (only read-only transactions on the analytics pool fall back).
   */
  public TransactionOptions withPrimaryFallback(boolean allowed) {
    return new TransactionOptions(name, propagation, pool, readOnly, isolation, timeout,
        retry, allowed, singleStatement);
  }

  /**
   * These options for work that is a single statement, or statements each of which may commit on
   * its own. When the transaction opens its own connection (it is outermost, or REQUIRES_NEW), the
   * statement runs in the connection's auto-commit mode: it commits as it completes, with no
   * {@code BEGIN} before it and no {@code COMMIT} round trip after it. After-commit hooks run once
   * the work has returned; when the work fails, nothing of the failed statement stays, but
   * statements before it in the same work have committed. A connection that breaks while the
   * statement runs leaves its outcome unknown ({@link ErrorKind#COMMIT_UNKNOWN}), so it is not
   * retried. With a retry policy a failed attempt runs the whole work again, statements that
   * committed included: give work of more than one statement no retry policy. An explicit
   * transaction ({@code Database.begin}) ignores this setting, since it may be rolled back after
   * its statements ran.
   *
   * <p>When it joins a caller's transaction it is part of that transaction as usual. A read-only
   * transaction, a non-default isolation, a statement timeout on PostgreSQL and a schema set per
   * transaction behind PgBouncer each need a transaction; with any of them this setting is ignored.
   * Such a transaction cannot open a Hibernate session ({@link Session#orm()}) or a NESTED block:
   * both need a transaction, and asking for one fails with a message that says so.
   */
  public TransactionOptions withSingleStatement(boolean single) {
    return new TransactionOptions(name, propagation, pool, readOnly, isolation, timeout,
        retry, primaryFallback, single);
  }
}
