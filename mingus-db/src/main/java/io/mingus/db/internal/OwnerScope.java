package io.mingus.db.internal;

import io.mingus.db.DatabaseException;
import io.mingus.db.Dialect;
import io.mingus.db.ErrorKind;
import io.mingus.db.Isolation;
import io.mingus.db.Transaction;
import io.mingus.db.TransactionOptions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import org.hibernate.resource.transaction.spi.TransactionStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transaction that owns its connection: the outermost one, or a REQUIRES_NEW one. Opens by
 * taking a connection and setting it up (auto-commit off, read-only, isolation, statement
 * timeout); ends by committing or rolling back, then {@link #release()} returns the connection and
 * only then runs the hooks, so that slow side effects never hold a connection. A single-statement
 * transaction ({@link TransactionOptions#singleStatement()}) leaves auto-commit on when nothing else
 * needs a transaction: its statement commits by itself, and commit and rollback send nothing.
 */
final class OwnerScope extends Scope implements Transaction {
  private static final Logger POOL_LOG = LoggerFactory.getLogger("io.mingus.db.pool");
  private static final Logger LOG = LoggerFactory.getLogger(OwnerScope.class);

  private enum State { ACTIVE, COMMITTED, ROLLED_BACK, RELEASED }

  final Engine engine;
  final TransactionOptions options;
  final Scope parent;
  final Connection connection;
  final long startNanos = System.nanoTime();
  final Thread thread = Thread.currentThread();
  final StackTraceElement[] acquiredAt;
  private org.hibernate.Session orm;
  private State state = State.ACTIVE;
  private boolean wasCommitted;
  private boolean h2TimeoutSet;
  private boolean h2LazySet;
  private Throwable firstFailure;
  private boolean ormMarkUndone;
  /** Whether the work's statements commit by themselves (a single-statement transaction). */
  private boolean autoCommit;

  OwnerScope(Engine engine, TransactionOptions options, Scope parent, Connection connection, boolean captureStack) {
    super(options.name());
    this.engine = engine;
    this.options = options;
    this.parent = parent;
    this.connection = connection;
    this.acquiredAt = captureStack ? new Throwable().getStackTrace() : null;
  }

  /** Takes a connection for {@code options} from its pool. */
  static Connection acquire(Engine engine, TransactionOptions options, Scope parent) {
    int held = 0;
    for (Scope s = parent; s != null; s = s.owner().parent) {
      if (s.owner().options.pool() == options.pool()) {
        held++;
      }
    }
    return engine.pools().acquire(options.pool(), options.name(), held);
  }

  /** Prepares the connection {@code c} for {@code options}, or fails having returned it. */
  static OwnerScope open(Engine engine, TransactionOptions options, Scope parent, Connection c) {
    OwnerScope scope = new OwnerScope(engine, options, parent, c, engine.captureStacks());
    try {
      scope.prepare();
    } catch (SQLException | RuntimeException e) {
      try {
        c.close();
      } catch (SQLException closing) {
        e.addSuppressed(closing);
      }
      throw new DatabaseException("could not begin transaction '" + options.name() + "' on pool "
          + options.pool().label() + ": " + e.getMessage(), e);
    }
    if (engine.echoPool()) {
      POOL_LOG.info("checkout: pool {} lent a connection to transaction '{}'", options.pool().label(), options.name());
    }
    return scope;
  }

  private void prepare() throws SQLException {
    autoCommit = options.singleStatement() && runsWithoutTransaction();
    if (connection.getAutoCommit() != autoCommit) {
      connection.setAutoCommit(autoCommit);
    }
    if (options.readOnly()) {
      connection.setReadOnly(true);
    }
    if (engine.pools().sessionless()) {
      prepareSessionless();
      return;
    }
    if (options.isolation() != Isolation.DEFAULT) {
      connection.setTransactionIsolation(options.isolation().jdbcLevel());
    }
    if (options.timeout() != null) {
      long millis = Math.max(1, options.timeout().toMillis());
      try (Statement st = connection.createStatement()) {
        if (engine.dialect() == Dialect.POSTGRESQL) {
          st.execute("SET LOCAL statement_timeout = " + millis);
        } else {
          st.execute("SET QUERY_TIMEOUT " + millis);
          h2TimeoutSet = true;
        }
      }
    }
  }

  /**
   * Whether nothing but the work needs a transaction: a read-only flag, an isolation level, a
   * PostgreSQL statement timeout ({@code SET LOCAL}) and a schema set per transaction each hold only
   * inside one.
   */
  private boolean runsWithoutTransaction() {
    return !options.readOnly() && options.isolation() == Isolation.DEFAULT
        && (options.timeout() == null || engine.dialect() != Dialect.POSTGRESQL)
        && !(engine.pools().sessionless() && engine.pools().transactionSchema() != null);
  }

  boolean autoCommit() {
    return autoCommit;
  }

  /**
   * Behind PgBouncer in transaction pooling the next transaction may run on another server session,
   * and a session setting would stay behind for another client: pgjdbc's isolation and schema are
   * session settings, so the transaction makes them itself, as its first statement, in one round
   * trip ({@code BEGIN} comes with it; read-only is already in pgjdbc's {@code BEGIN READ ONLY}).
   */
  private void prepareSessionless() throws SQLException {
    java.util.List<String> settings = new java.util.ArrayList<>(3);
    String schema = engine.pools().transactionSchema();
    if (schema != null) {
      settings.add("SET LOCAL search_path TO " + schema);
    }
    if (options.isolation() != Isolation.DEFAULT) {
      settings.add("SET TRANSACTION ISOLATION LEVEL " + options.isolation().name().replace('_', ' '));
    }
    if (options.timeout() != null) {
      settings.add("SET LOCAL statement_timeout = " + Math.max(1, options.timeout().toMillis()));
    }
    if (!settings.isEmpty()) {
      try (Statement st = connection.createStatement()) {
        st.execute(String.join("; ", settings));
      }
    }
  }

  @Override
  OwnerScope owner() {
    return this;
  }

  @Override
  Scope parent() {
    return parent;
  }

  @Override
  public io.mingus.db.Session session() {
    return this;
  }

  org.hibernate.Session ormSession() {
    requireActive("orm()");
    requireTransaction("a Hibernate session (orm())");
    if (orm == null) {
      orm = engine.openOrm(connection);
      orm.getTransaction().begin();
    }
    return orm;
  }

  void flushOrm() {
    if (orm != null) {
      orm.flush();
    }
  }

  /**
   * After a rollback to a savepoint: Hibernate's first-level cache no longer matches the database,
   * so it is cleared (entities loaded before the savepoint are detached: re-read them). A failure
   * inside Hibernate also marked its transaction rollback-only; the savepoint undid that failure, so
   * the mark no longer stands and {@link #commit()} commits the connection itself.
   */
  void undoOrmAfterSavepointRollback() {
    if (orm != null) {
      orm.clear();
      if (orm.getTransaction().getStatus() == TransactionStatus.MARKED_ROLLBACK) {
        ormMarkUndone = true;
      }
    }
  }

  Savepoint savepoint() throws SQLException {
    requireTransaction("a NESTED block");
    if (!connection.getMetaData().supportsSavepoints()) {
      throw new DatabaseException("Propagation.NESTED needs savepoints, which the driver of pool "
          + options.pool().label() + " does not support: use REQUIRED or REQUIRES_NEW", null, ErrorKind.PROGRAMMING);
    }
    return connection.setSavepoint();
  }

  @Override
  public void commit() {
    requireActive("commit()");
    if (rollbackOnlyCause != null) {
      rollbackQuietly(rollbackOnlyCause);
      throw new DatabaseException(autoCommit
          ? "single-statement transaction '" + name + "' failed: a joined block failed (" + rollbackOnlyCause
              + "); its failed statement changed nothing, but statements of the work that completed before it have"
              + " committed (auto-commit). Work of more than one statement needs a transaction: drop"
              + " withSingleStatement"
          : "transaction '" + name + "' was rolled back, not committed: a joined block failed and marked it"
              + " rollback-only (" + rollbackOnlyCause + "). To recover from a failing inner block, run it with"
              + " Propagation.NESTED", rollbackOnlyCause);
    }
    try {
      flushOrm();
    } catch (RuntimeException e) {
      remember(e);
      throw e;
    }
    if (connectionBroken()) {
      DatabaseException broken = brokenBeforeCommit(null);
      rollbackQuietly(broken);
      throw broken;
    }
    if (autoCommit) {
      // every statement committed as it completed
      state = State.COMMITTED;
      wasCommitted = true;
      return;
    }
    if (orm != null && orm.getTransaction().getStatus() == TransactionStatus.MARKED_ROLLBACK && !ormMarkUndone) {
      // Hibernate would roll back silently here and report success: refuse loudly instead.
      IllegalStateException cause = new IllegalStateException("Hibernate marked the transaction rollback-only");
      rollbackQuietly(cause);
      throw new DatabaseException("transaction '" + name + "' was rolled back, not committed: a Hibernate operation"
          + " in it failed and marked it rollback-only (the failure was caught and not rethrown). Run the failing"
          + " part with Propagation.NESTED to recover from it", cause);
    }
    try {
      if (orm != null && !ormMarkUndone) {
        orm.getTransaction().commit();
      } else {
        connection.commit();
      }
      state = State.COMMITTED;
      wasCommitted = true;
    } catch (SQLException | RuntimeException e) {
      remember(e);
      if (Breaker.isConnectionFailure(e) && options.readOnly()) {
        // A read-only transaction wrote nothing: whether its commit happened does not matter.
        throw new DatabaseException("the connection of pool " + options.pool().label() + " broke while read-only"
            + " transaction '" + name + "' was committing: it wrote nothing, so it may be run again: "
            + e.getMessage(), e, ErrorKind.CONNECTION);
      }
      if (Breaker.isConnectionFailure(e)) {
        throw new DatabaseException("the connection of pool " + options.pool().label() + " broke while transaction '"
            + name + "' was committing: it may or may not have committed, so it is not retried. Check whether its"
            + " effects are there before running it again", e, ErrorKind.COMMIT_UNKNOWN);
      }
      throw new DatabaseException("commit of transaction '" + name + "' on pool " + options.pool().label()
          + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Whether the pool found this transaction's connection broken: Hikari closes a connection on
   * which a statement failed with a fatal SQLState (57P01 terminated, 08xxx), so this costs no
   * round trip.
   */
  boolean connectionBroken() {
    try {
      return connection.isClosed();
    } catch (SQLException e) {
      return true;
    }
  }

  /**
   * The failure to report for a transaction whose work failed with {@code failure} (or, when
   * {@code null}, was about to commit) on a connection that broke: a connection failure, which is
   * retried, since nothing was committed. Hibernate hides a statement that failed on a broken
   * connection in some calls ({@code find} returns {@code null} once the transaction is marked
   * rollback-only), so the work may have gone on with a wrong answer; its own exception is kept as
   * the cause.
   */
  DatabaseException brokenBeforeCommit(Throwable failure) {
    if (autoCommit) {
      return new DatabaseException("the connection of pool " + options.pool().label() + " broke while single-statement"
          + " transaction '" + name + "' ran" + (failure == null ? "" : " (" + failure + ")")
          + ": its statement commits by itself, so it may or may not"
          + " have committed, and it is not retried. Check whether its effects are there before running it again",
          failure, ErrorKind.COMMIT_UNKNOWN);
    }
    return new DatabaseException("the connection of pool " + options.pool().label() + " broke during transaction '"
        + name + "', before it committed" + (failure == null ? "" : " (the work then failed: " + failure + ")")
        + ": nothing was committed, so it may be run again", failure, ErrorKind.CONNECTION);
  }

  @Override
  public void rollback() {
    requireActive("rollback()");
    try {
      doRollback();
    } catch (SQLException | RuntimeException e) {
      throw new DatabaseException("rollback of transaction '" + name + "' on pool " + options.pool().label()
          + " failed: " + e.getMessage(), e);
    }
  }

  private void remember(Throwable failure) {
    if (firstFailure == null) {
      firstFailure = failure;
    }
  }

  /** Rolls back after {@code cause}, adding any failure of the rollback to it as suppressed. */
  void rollbackQuietly(Throwable cause) {
    remember(cause);
    undo(cause);
  }

  private void undo(Throwable cause) {
    if (state != State.ACTIVE) {
      return;
    }
    try {
      doRollback();
    } catch (SQLException | RuntimeException e) {
      state = State.ROLLED_BACK;
      if (cause != e) {
        cause.addSuppressed(e);
      }
    }
  }

  private void doRollback() throws SQLException {
    state = State.ROLLED_BACK;
    engine.stats().rolledBack();
    if (autoCommit) {
      // a failed statement undid itself; completed ones have committed
      return;
    }
    if (orm != null && orm.getTransaction().isActive()) {
      orm.getTransaction().rollback();
    } else {
      connection.rollback();
    }
  }

  /**
   * Makes H2 stream results instead of materializing them (PostgreSQL streams with a fetch size
   * alone); reset when the connection is released.
   */
  void streamOnH2() throws SQLException {
    if (engine.dialect() == Dialect.H2 && !h2LazySet) {
      try (Statement st = connection.createStatement()) {
        st.execute("SET LAZY_QUERY_EXECUTION TRUE");
      }
      h2LazySet = true;
    }
  }

  boolean committed() {
    return wasCommitted;
  }

  @Override
  public void close() {
    if (state == State.ACTIVE) {
      undo(new IllegalStateException("closed without commit"));
    }
    if (state != State.RELEASED) {
      engine.finishExplicit(this, firstFailure);
    }
  }

  /** Returns the connection to its pool; idempotent. Runs no hooks. */
  void release() {
    if (state == State.RELEASED) {
      return;
    }
    state = State.RELEASED;
    // H2 session settings outlive the transaction: put them back before the connection is reused.
    try {
      if (h2TimeoutSet) {
        try (Statement st = connection.createStatement()) {
          st.execute("SET QUERY_TIMEOUT 0");
        }
      }
      if (h2LazySet) {
        try (Statement st = connection.createStatement()) {
          st.execute("SET LAZY_QUERY_EXECUTION FALSE");
        }
      }
    } catch (SQLException e) {
      LOG.debug("could not reset the H2 session settings of transaction '{}'", name, e);
    }
    try {
      if (orm != null) {
        orm.close();
      }
    } catch (RuntimeException e) {
      LOG.warn("closing the Hibernate session of transaction '{}' failed", name, e);
    }
    try {
      connection.close();
    } catch (SQLException e) {
      LOG.warn("returning the connection of transaction '{}' to pool {} failed", name, options.pool().label(), e);
    }
    if (engine.echoPool()) {
      POOL_LOG.info("checkin: transaction '{}' returned its connection to pool {} ({})", name,
          options.pool().label(), wasCommitted ? "committed" : "rolled back");
    }
  }

  /** Runs the hooks of the outcome; a hook's failure is logged (and added to {@code failure}). */
  void runHooks(Throwable failure) {
    for (Runnable hook : wasCommitted ? afterCommit : afterRollback) {
      runHook(name, hook, failure);
    }
  }

  static void runHook(String transaction, Runnable hook, Throwable failure) {
    try {
      hook.run();
    } catch (RuntimeException e) {
      if (failure != null && failure != e) {
        failure.addSuppressed(e);
      }
      LOG.error("a hook of transaction '{}' failed; the transaction's outcome stands", transaction, e);
    }
  }

  private void requireTransaction(String what) {
    if (autoCommit) {
      throw new DatabaseException(what + " needs a transaction, and transaction '" + name + "' runs its statement in"
          + " auto-commit (TransactionOptions.withSingleStatement): drop that option for this work", null,
          ErrorKind.PROGRAMMING);
    }
  }

  private void requireActive(String call) {
    if (state != State.ACTIVE) {
      throw new IllegalStateException(call + " on transaction '" + name + "', which is already "
          + state.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '));
    }
  }
}
