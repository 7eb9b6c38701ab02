package io.mingus.db.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * Times statements for slow-query logging when SQL echo is off. datasource-proxy (used for {@code
 * DB_ECHO}) builds an execution context and records every parameter of every call, which cost 17
 * to 48 µs of CPU per transaction in the benchmark (docs/BENCHMARKS.md §1) while nothing is logged
 * below the threshold. This handler only passes calls through, wraps the connections and
 * statements it hands out, and times {@code execute*}: one reflective call per JDBC call, no
 * allocation beyond the proxies themselves, never a parameter value.
 */
final class StatementTimer implements InvocationHandler {
  private final Object target;
  private final String sql;
  private final String pool;
  private final QueryLogger logger;

  private StatementTimer(Object target, String sql, String pool, QueryLogger logger) {
    this.target = target;
    this.sql = sql;
    this.pool = pool;
    this.logger = logger;
  }

  /** A data source whose connections time their statements. */
  static DataSource wrap(DataSource target, String pool, QueryLogger logger) {
    return proxy(DataSource.class, target, null, pool, logger);
  }

  private static <T> T proxy(Class<T> type, T target, String sql, String pool, QueryLogger logger) {
    return type.cast(Proxy.newProxyInstance(StatementTimer.class.getClassLoader(), new Class<?>[] {type},
        new StatementTimer(target, sql, pool, logger)));
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    if (method.getDeclaringClass() == Object.class) {
      return switch (method.getName()) {
        case "equals" -> proxy == args[0];
        case "hashCode" -> System.identityHashCode(proxy);
        default -> "timed " + target;
      };
    }
    if (target instanceof Statement && method.getName().startsWith("execute")) {
      long start = System.nanoTime();
      try {
        return call(method, args);
      } finally {
        String text = sql != null ? sql : args != null && args.length > 0 && args[0] instanceof String s ? s : "(batch)";
        logger.timed(pool, text, System.nanoTime() - start, method.getName().equals("executeBatch"));
      }
    }
    Object result = call(method, args);
    return switch (result) {
      case Connection c when target instanceof DataSource -> proxy(Connection.class, c, null, pool, logger);
      case CallableStatement cs when target instanceof Connection ->
          proxy(CallableStatement.class, cs, (String) args[0], pool, logger);
      case PreparedStatement ps when target instanceof Connection ->
          proxy(PreparedStatement.class, ps, (String) args[0], pool, logger);
      case Statement st when target instanceof Connection -> proxy(Statement.class, st, null, pool, logger);
      case null, default -> result;
    };
  }

  private Object call(Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
