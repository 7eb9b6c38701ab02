package io.mingus.db.internal;

import io.mingus.db.PoolName;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import net.ttddyy.dsproxy.ExecutionInfo;
import net.ttddyy.dsproxy.QueryInfo;
import net.ttddyy.dsproxy.listener.QueryExecutionListener;
import net.ttddyy.dsproxy.support.ProxyDataSourceBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SQL echo ({@code DB_ECHO}, through datasource-proxy) and slow-query logging (through
 * datasource-proxy with echo, else the cheaper {@link StatementTimer}): the statement, its duration,
 * the pool and the transaction's name; never parameter values.
 */
public final class QueryLogger implements QueryExecutionListener {
  private static final Logger ECHO = LoggerFactory.getLogger("io.mingus.db.sql");
  private static final Logger SLOW = LoggerFactory.getLogger("io.mingus.db.slow");

  private final boolean echo;
  private final long slowMillis;
  private final Supplier<String> currentTransaction;
  private final Runnable onSlow;

  /**
   * @param echo log every statement
   * @param slowThreshold log statements at least this slow; zero for never
   * @param currentTransaction the name of the transaction running on this thread
   * @param onSlow counts one slow query
   */
  public QueryLogger(boolean echo, Duration slowThreshold, Supplier<String> currentTransaction, Runnable onSlow) {
    this.echo = echo;
    this.slowMillis = slowThreshold.isZero() ? Long.MAX_VALUE : slowThreshold.toMillis();
    this.currentTransaction = currentTransaction;
    this.onSlow = onSlow;
  }

  /** Whether this configuration logs anything at all. */
  public static boolean needed(boolean echo, Duration slowThreshold) {
    return echo || !slowThreshold.isZero();
  }

  /**
   * The data source transactions borrow from: with echo, datasource-proxy (every statement logged,
   * batches described); without, the much cheaper {@link StatementTimer}, which only times.
   */
  DataSource wrap(DataSource target, PoolName pool) {
    return echo
        ? ProxyDataSourceBuilder.create(target).name(pool.label()).listener(this).build()
        : StatementTimer.wrap(target, pool.label(), this);
  }

  /** One statement timed by {@link StatementTimer}. */
  void timed(String pool, String sql, long nanos, boolean batch) {
    long millis = nanos / 1_000_000;
    if (millis >= slowMillis) {
      report(pool, sql, millis, batch ? ", batch" : "");
    }
  }

  @Override
  public void beforeQuery(ExecutionInfo execInfo, List<QueryInfo> queryInfoList) {
    // everything is logged after the statement, with its duration
  }

  @Override
  public void afterQuery(ExecutionInfo execInfo, List<QueryInfo> queryInfoList) {
    long millis = execInfo.getElapsedTime();
    boolean slow = millis >= slowMillis;
    if (!slow && !(echo && ECHO.isInfoEnabled())) {
      return;
    }
    String sql = queryInfoList.stream().map(QueryInfo::getQuery).collect(Collectors.joining("; "));
    if (slow) {
      report(execInfo.getDataSourceName(), sql, millis,
          execInfo.isBatch() ? ", batch of " + execInfo.getBatchSize() : "");
    } else {
      ECHO.info("{} ms on pool {}, transaction '{}': {}", millis, execInfo.getDataSourceName(),
          currentTransaction.get(), sql);
    }
  }

  private void report(String pool, String sql, long millis, String batch) {
    onSlow.run();
    SLOW.warn("slow query: {} ms (threshold {} ms) on pool {}, transaction '{}'{}: {}", millis, slowMillis, pool,
        currentTransaction.get(), batch, sql);
  }
}
