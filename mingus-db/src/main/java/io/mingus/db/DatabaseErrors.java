package io.mingus.db;

import java.io.IOException;
import java.net.SocketException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.Collections;

/**
 * Classifies any throwable into a {@link DatabaseError}: what kind of failure it is and whether
 * running the work again may succeed.
 *
 * <p>The whole cause chain is walked (Hibernate and Hikari wrap the driver's exception, and
 * {@link SQLException#getNextException()} holds PostgreSQL's batch failures). A SQLState anywhere
 * in the chain decides first; exception types decide only when no SQLState is known. A Hikari
 * acquire timeout is {@link ErrorKind#POOL_EXHAUSTED} unless its cause shows the database itself
 * could not be reached, which makes it {@link ErrorKind#CONNECTION}.
 *
 * <p>Thread-safe and stateless.
 */
public final class DatabaseErrors {
  /** H2's vendor code for "Deadlock detected" (its SQLState is 40001). */
  private static final int H2_DEADLOCK = 40001;

  private DatabaseErrors() {}

  /** The classification of {@code failure}; never {@code null}. */
  public static DatabaseError classify(Throwable failure) {
    if (failure == null) {
      return DatabaseError.of(ErrorKind.UNKNOWN, null, null);
    }
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    Deque<Throwable> queue = new ArrayDeque<>();
    queue.add(failure);
    DatabaseError byState = null;
    DatabaseError byType = null;
    boolean poolTimeout = false;
    boolean sawSql = false;
    while (!queue.isEmpty()) {
      Throwable t = queue.removeFirst();
      if (!seen.add(t)) {
        continue;
      }
      if (t instanceof DatabaseException de && de.kind() != null) {
        return DatabaseError.of(de.kind(), null, message(failure, t));
      }
      if (t instanceof SQLException sql) {
        sawSql = true;
        ErrorKind kind = ofSqlState(sql.getSQLState());
        if (kind == ErrorKind.SERIALIZATION && sql.getErrorCode() == H2_DEADLOCK) {
          // H2 reports a deadlock with PostgreSQL's serialization-failure state; its code tells.
          kind = ErrorKind.DEADLOCK;
        }
        if (kind != null && byState == null) {
          byState = DatabaseError.of(kind, sql.getSQLState(), sql.getMessage());
        }
        if (isHikariTimeout(sql)) {
          poolTimeout = true;
        }
        if (sql.getNextException() != null) {
          queue.addLast(sql.getNextException());
        }
      }
      if (byType == null) {
        ErrorKind kind = ofType(t);
        if (kind != null) {
          byType = DatabaseError.of(kind, null, t.getMessage());
        }
      }
      if (t.getCause() != null) {
        queue.addFirst(t.getCause());
      }
    }
    if (byState != null) {
      return byState;
    }
    if (poolTimeout) {
      // Hikari's timeout carries its last failure to connect: an I/O error there means the
      // database is unreachable, not that the pool is busy.
      return byType != null && byType.kind() == ErrorKind.CONNECTION
          ? DatabaseError.of(ErrorKind.CONNECTION, null, failure.getMessage())
          : DatabaseError.of(ErrorKind.POOL_EXHAUSTED, null, failure.getMessage());
    }
    // An I/O error is a database connection failure only when a driver reported it: an SMS
    // gateway or a JSON parser failing with an IOException says nothing about the database, and
    // must not open a pool's circuit breaker.
    return byType != null && sawSql ? byType : DatabaseError.of(ErrorKind.UNKNOWN, null, failure.getMessage());
  }

  /** Whether retrying the whole outermost transaction may help with {@code failure}. */
  public static boolean isRetryable(Throwable failure) {
    return classify(failure).retryable();
  }

  /** The kind that a SQLState names, or {@code null} when it names none Mingus acts on. */
  public static ErrorKind ofSqlState(String sqlState) {
    if (sqlState == null || sqlState.length() < 2) {
      return null;
    }
    return switch (sqlState) {
      case "40P01" -> ErrorKind.DEADLOCK;
      case "40001" -> ErrorKind.SERIALIZATION;
      case "57014" -> ErrorKind.TIMEOUT;
      case "57P01", "57P02", "57P03" -> ErrorKind.CONNECTION;
      // H2: database closed, connection broken, lock timeout, deadlock
      case "90098", "90067", "90121" -> ErrorKind.CONNECTION;
      case "HYT00", "50200" -> ErrorKind.TIMEOUT; // H2: statement timeout, lock timeout
      // a write in a read-only transaction is a bug of the caller, not of the timing
      case "25006" -> ErrorKind.PROGRAMMING;
      default ->
          switch (sqlState.substring(0, 2)) {
            case "08" -> ErrorKind.CONNECTION;
            case "23" -> ErrorKind.INTEGRITY;
            case "22" -> ErrorKind.DATA;
            case "42" -> ErrorKind.PROGRAMMING;
            case "40" -> ErrorKind.SERIALIZATION;
            default -> null;
          };
    };
  }

  private static ErrorKind ofType(Throwable t) {
    return switch (t) {
      case SQLTransientConnectionException e when !isHikariTimeout(e) -> ErrorKind.CONNECTION;
      case SQLNonTransientConnectionException e -> ErrorKind.CONNECTION;
      case SQLRecoverableException e -> ErrorKind.CONNECTION;
      case SQLTimeoutException e -> ErrorKind.TIMEOUT;
      case SocketException e -> ErrorKind.CONNECTION;
      case IOException e -> ErrorKind.CONNECTION;
      default -> null;
    };
  }

  private static boolean isHikariTimeout(SQLException e) {
    String m = e.getMessage();
    return e instanceof SQLTransientConnectionException
        && m != null
        && m.contains("Connection is not available, request timed out");
  }

  private static String message(Throwable outer, Throwable decided) {
    return decided.getMessage() != null ? decided.getMessage() : outer.getMessage();
  }
}
