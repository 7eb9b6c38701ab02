package io.mingus.db.internal;

import io.mingus.db.DatabaseException;
import io.mingus.db.Dialect;
import io.mingus.db.PoolName;
import io.mingus.db.RowMapper;
import io.mingus.db.Session;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A session as the work sees it: an {@link OwnerScope} that holds a connection, or a {@link
 * NestedScope} running under a savepoint of its owner. Collects after-commit and after-rollback
 * hooks and the rollback-only mark set by a failing joined block.
 */
abstract sealed class Scope implements Session permits OwnerScope, NestedScope {
  final String name;
  final List<Runnable> afterCommit = new ArrayList<>(0);
  final List<Runnable> afterRollback = new ArrayList<>(0);
  Throwable rollbackOnlyCause;

  Scope(String name) {
    this.name = name;
  }

  /** The scope that holds the connection. */
  abstract OwnerScope owner();

  /** The scope this one runs inside, or {@code null} for an outermost transaction. */
  abstract Scope parent();

  void markRollbackOnly(Throwable cause) {
    if (rollbackOnlyCause == null) {
      rollbackOnlyCause = cause;
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Connection connection() {
    return owner().connection;
  }

  @Override
  public org.hibernate.Session orm() {
    return owner().ormSession();
  }

  @Override
  public PoolName pool() {
    return owner().options.pool();
  }

  @Override
  public boolean readOnly() {
    return owner().options.readOnly();
  }

  @Override
  public Dialect dialect() {
    return owner().engine.dialect();
  }

  @Override
  public void afterCommit(Runnable action) {
    afterCommit.add(action);
  }

  @Override
  public void afterRollback(Runnable action) {
    afterRollback.add(action);
  }

  @Override
  public int update(String sql, Object... params) {
    try (PreparedStatement ps = connection().prepareStatement(sql)) {
      bind(ps, params);
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw failure("update", e);
    }
  }

  @Override
  public <T> List<T> query(String sql, RowMapper<T> mapper, Object... params) {
    try (PreparedStatement ps = connection().prepareStatement(sql)) {
      bind(ps, params);
      try (ResultSet rs = ps.executeQuery()) {
        List<T> rows = new ArrayList<>();
        while (rs.next()) {
          rows.add(mapper.map(rs));
        }
        return rows;
      }
    } catch (SQLException e) {
      throw failure("query", e);
    }
  }

  @Override
  public <T> Stream<T> stream(String sql, int fetchSize, RowMapper<T> mapper, Object... params) {
    if (fetchSize < 1) {
      throw new IllegalArgumentException("fetchSize must be at least 1, was " + fetchSize);
    }
    PreparedStatement ps = null;
    try {
      owner().streamOnH2();
      ps = connection().prepareStatement(sql, ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
      ps.setFetchSize(fetchSize);
      bind(ps, params);
      ResultSet rs = ps.executeQuery();
      PreparedStatement statement = ps;
      return StreamSupport.stream(new Rows<>(rs, mapper), false).onClose(() -> closeQuietly(statement));
    } catch (SQLException e) {
      closeQuietly(ps);
      throw failure("query", e);
    }
  }

  private DatabaseException failure(String what, SQLException e) {
    return new DatabaseException(what + " failed in transaction '" + name + "' on pool " + pool().label()
        + " (SQLState " + e.getSQLState() + "): " + e.getMessage(), e);
  }

  static void bind(PreparedStatement ps, Object... params) throws SQLException {
    for (int i = 0; i < params.length; i++) {
      ps.setObject(i + 1, params[i]);
    }
  }

  private static void closeQuietly(PreparedStatement ps) {
    if (ps == null) {
      return;
    }
    try {
      ps.close();
    } catch (SQLException ignored) {
      // the transaction's end closes the connection and with it the statement
    }
  }

  /** Walks a result set one row per advance, without buffering. */
  private final class Rows<T> extends Spliterators.AbstractSpliterator<T> {
    private final ResultSet rs;
    private final RowMapper<T> mapper;

    Rows(ResultSet rs, RowMapper<T> mapper) {
      super(Long.MAX_VALUE, Spliterator.ORDERED | Spliterator.NONNULL);
      this.rs = rs;
      this.mapper = mapper;
    }

    @Override
    public boolean tryAdvance(Consumer<? super T> action) {
      try {
        if (!rs.next()) {
          return false;
        }
        action.accept(mapper.map(rs));
        return true;
      } catch (SQLException e) {
        throw failure("streaming query", e);
      }
    }
  }
}
