package io.mingus.bench;

import java.lang.reflect.Proxy;
import java.sql.Array;
import java.sql.Blob;
import java.sql.CallableStatement;
import java.sql.Clob;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.NClob;
import java.sql.PreparedStatement;
import java.sql.SQLClientInfoException;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLWarning;
import java.sql.SQLXML;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Struct;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;

/**
 * A JDBC driver that talks to nothing: its connections keep their settings in fields and their
 * commit and rollback do nothing, so that a pool and a transaction scope in front of it can be
 * measured alone. It answers {@link #URL} (an H2-looking URL, so that Mingus's configuration
 * accepts it; the H2 and other drivers are taken out of {@link DriverManager} while it is
 * installed). Thread-safe; its connections are not (like real ones).
 */
final class StubDriver implements Driver {
  /** The URL the stub answers. */
  static final String URL = "jdbc:h2:mingus-stub";

  final LongAdder commits = new LongAdder();
  final LongAdder rollbacks = new LongAdder();
  final LongAdder connects = new LongAdder();

  /** The stub, installed in {@link DriverManager} until {@link #close()}. */
  static final class Installed implements AutoCloseable {
    final StubDriver driver = new StubDriver();
    private final List<Driver> removed = new ArrayList<>();

    Installed() throws SQLException {
      for (Driver d : DriverManager.drivers().toList()) {
        if (d.acceptsURL(URL)) {
          DriverManager.deregisterDriver(d);
          removed.add(d);
        }
      }
      DriverManager.registerDriver(driver);
    }

    @Override
    public void close() throws SQLException {
      DriverManager.deregisterDriver(driver);
      for (Driver d : removed) {
        DriverManager.registerDriver(d);
      }
    }
  }

  @Override
  public Connection connect(String url, Properties info) {
    if (!acceptsURL(url)) {
      return null;
    }
    connects.increment();
    return new StubConnection(this);
  }

  @Override
  public boolean acceptsURL(String url) {
    return url != null && url.startsWith(URL);
  }

  @Override
  public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) {
    return new DriverPropertyInfo[0];
  }

  @Override
  public int getMajorVersion() {
    return 1;
  }

  @Override
  public int getMinorVersion() {
    return 0;
  }

  @Override
  public boolean jdbcCompliant() {
    return false;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException("the stub driver has no logger");
  }

  /** Answers every call of an interface with its return type's zero value. */
  @SuppressWarnings("unchecked")
  static <T> T inert(Class<T> type) {
    return (T) Proxy.newProxyInstance(StubDriver.class.getClassLoader(), new Class<?>[] {type}, (p, m, args) -> {
      Class<?> r = m.getReturnType();
      if (m.getName().equals("toString")) {
        return "stub " + type.getSimpleName();
      }
      if (m.getName().equals("hashCode")) {
        return System.identityHashCode(p);
      }
      if (m.getName().equals("equals")) {
        return p == args[0];
      }
      if (r == boolean.class) {
        return false;
      }
      if (r == int.class) {
        return 0;
      }
      if (r == long.class) {
        return 0L;
      }
      return null;
    });
  }

  /** A connection with no server behind it. */
  static final class StubConnection implements Connection {
    private final StubDriver driver;
    private boolean autoCommit = true;
    private boolean readOnly;
    private boolean closed;
    private int isolation = TRANSACTION_READ_COMMITTED;
    private int holdability;
    private int networkTimeout;
    private String catalog;
    private String schema = "PUBLIC";
    private Map<String, Class<?>> typeMap = Map.of();
    private final Properties clientInfo = new Properties();

    StubConnection(StubDriver driver) {
      this.driver = driver;
    }

    private static SQLException unsupported(String what) {
      return new SQLFeatureNotSupportedException("the stub driver does not support " + what);
    }

    @Override
    public Statement createStatement() {
      return inert(Statement.class);
    }

    @Override
    public PreparedStatement prepareStatement(String sql) {
      return inert(PreparedStatement.class);
    }

    @Override
    public CallableStatement prepareCall(String sql) throws SQLException {
      throw unsupported("prepareCall");
    }

    @Override
    public String nativeSQL(String sql) {
      return sql;
    }

    @Override
    public void setAutoCommit(boolean on) {
      autoCommit = on;
    }

    @Override
    public boolean getAutoCommit() {
      return autoCommit;
    }

    @Override
    public void commit() {
      driver.commits.increment();
    }

    @Override
    public void rollback() {
      driver.rollbacks.increment();
    }

    @Override
    public void close() {
      closed = true;
    }

    @Override
    public boolean isClosed() {
      return closed;
    }

    @Override
    public DatabaseMetaData getMetaData() {
      return inert(DatabaseMetaData.class);
    }

    @Override
    public void setReadOnly(boolean ro) {
      readOnly = ro;
    }

    @Override
    public boolean isReadOnly() {
      return readOnly;
    }

    @Override
    public void setCatalog(String c) {
      catalog = c;
    }

    @Override
    public String getCatalog() {
      return catalog;
    }

    @Override
    public void setTransactionIsolation(int level) {
      isolation = level;
    }

    @Override
    public int getTransactionIsolation() {
      return isolation;
    }

    @Override
    public SQLWarning getWarnings() {
      return null;
    }

    @Override
    public void clearWarnings() {
      // no warnings are kept
    }

    @Override
    public Statement createStatement(int type, int concurrency) {
      return createStatement();
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int type, int concurrency) {
      return prepareStatement(sql);
    }

    @Override
    public CallableStatement prepareCall(String sql, int type, int concurrency) throws SQLException {
      throw unsupported("prepareCall");
    }

    @Override
    public Map<String, Class<?>> getTypeMap() {
      return typeMap;
    }

    @Override
    public void setTypeMap(Map<String, Class<?>> map) {
      typeMap = map;
    }

    @Override
    public void setHoldability(int h) {
      holdability = h;
    }

    @Override
    public int getHoldability() {
      return holdability;
    }

    @Override
    public Savepoint setSavepoint() throws SQLException {
      throw unsupported("savepoints");
    }

    @Override
    public Savepoint setSavepoint(String name) throws SQLException {
      throw unsupported("savepoints");
    }

    @Override
    public void rollback(Savepoint savepoint) throws SQLException {
      throw unsupported("savepoints");
    }

    @Override
    public void releaseSavepoint(Savepoint savepoint) throws SQLException {
      throw unsupported("savepoints");
    }

    @Override
    public Statement createStatement(int type, int concurrency, int holding) {
      return createStatement();
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int type, int concurrency, int holding) {
      return prepareStatement(sql);
    }

    @Override
    public CallableStatement prepareCall(String sql, int type, int concurrency, int holding) throws SQLException {
      throw unsupported("prepareCall");
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int autoGeneratedKeys) {
      return prepareStatement(sql);
    }

    @Override
    public PreparedStatement prepareStatement(String sql, int[] columnIndexes) {
      return prepareStatement(sql);
    }

    @Override
    public PreparedStatement prepareStatement(String sql, String[] columnNames) {
      return prepareStatement(sql);
    }

    @Override
    public Clob createClob() throws SQLException {
      throw unsupported("LOBs");
    }

    @Override
    public Blob createBlob() throws SQLException {
      throw unsupported("LOBs");
    }

    @Override
    public NClob createNClob() throws SQLException {
      throw unsupported("LOBs");
    }

    @Override
    public SQLXML createSQLXML() throws SQLException {
      throw unsupported("SQLXML");
    }

    @Override
    public boolean isValid(int timeout) {
      return !closed;
    }

    @Override
    public void setClientInfo(String name, String value) throws SQLClientInfoException {
      clientInfo.setProperty(name, value);
    }

    @Override
    public void setClientInfo(Properties properties) throws SQLClientInfoException {
      clientInfo.putAll(properties);
    }

    @Override
    public String getClientInfo(String name) {
      return clientInfo.getProperty(name);
    }

    @Override
    public Properties getClientInfo() {
      return clientInfo;
    }

    @Override
    public Array createArrayOf(String typeName, Object[] elements) throws SQLException {
      throw unsupported("arrays");
    }

    @Override
    public Struct createStruct(String typeName, Object[] attributes) throws SQLException {
      throw unsupported("structs");
    }

    @Override
    public void setSchema(String s) {
      schema = s;
    }

    @Override
    public String getSchema() {
      return schema;
    }

    @Override
    public void abort(Executor executor) {
      closed = true;
    }

    @Override
    public void setNetworkTimeout(Executor executor, int millis) {
      networkTimeout = millis;
    }

    @Override
    public int getNetworkTimeout() {
      return networkTimeout;
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      if (iface.isInstance(this)) {
        return iface.cast(this);
      }
      throw new SQLException("the stub connection is not a " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return iface.isInstance(this);
    }
  }
}
