package io.mingus.db.internal;

import io.mingus.db.Dialect;
import java.sql.Connection;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.hibernate.SessionFactory;
import org.hibernate.cfg.AvailableSettings;
import org.hibernate.cfg.Configuration;

/**
 * The one Hibernate {@link SessionFactory} of a database, built on first use (it takes seconds in a
 * cold JVM) and shared by every pool: each ORM session is opened on the connection of the
 * transaction that asks for it, so Hibernate never takes connections of its own.
 */
public final class OrmFactory implements AutoCloseable {
  private final List<Class<?>> entities;
  private final Dialect dialect;
  private final DataSource bootstrapSource;
  private final ReentrantLock lock = new ReentrantLock();
  private volatile SessionFactory factory;

  /** A factory for these entity classes; nothing is built yet. */
  public OrmFactory(List<Class<?>> entities, Dialect dialect, DataSource bootstrapSource) {
    this.entities = List.copyOf(entities);
    this.dialect = dialect;
    this.bootstrapSource = bootstrapSource;
  }

  /** A Hibernate session on {@code connection}. */
  public org.hibernate.Session open(Connection connection) {
    return factory().withOptions().connection(connection).openSession();
  }

  /** The session factory, built now if it was not yet. */
  public SessionFactory factory() {
    SessionFactory f = factory;
    if (f != null) {
      return f;
    }
    if (entities.isEmpty()) {
      throw new IllegalStateException("orm() needs entity classes: build the Database with"
          + " Database.builder(config).entities(MyEntity.class, ...)");
    }
    lock.lock();
    try {
      if (factory == null) {
        factory = build();
      }
      return factory;
    } finally {
      lock.unlock();
    }
  }

  private SessionFactory build() {
    Configuration cfg = new Configuration();
    entities.forEach(cfg::addAnnotatedClass);
    cfg.getProperties().put(AvailableSettings.DATASOURCE, bootstrapSource);
    // Without JDBC metadata at boot, Hibernate picks its dialect from the product name; naming the
    // dialect class instead draws a deprecation warning (HHH90000025) at every start.
    cfg.setProperty("jakarta.persistence.database-product-name", switch (dialect) {
      case POSTGRESQL -> "PostgreSQL";
      case H2 -> "H2";
    });
    // The schema belongs to Flyway; no JDBC metadata is needed to start.
    cfg.setProperty("hibernate.boot.allow_jdbc_metadata_access", "false");
    cfg.setProperty(AvailableSettings.HBM2DDL_AUTO, "none");
    cfg.setProperty(AvailableSettings.JDBC_TIME_ZONE, "UTC");
    cfg.setProperty(AvailableSettings.STATEMENT_BATCH_SIZE, "50");
    cfg.setProperty(AvailableSettings.ORDER_INSERTS, "true");
    cfg.setProperty(AvailableSettings.ORDER_UPDATES, "true");
    return cfg.buildSessionFactory();
  }

  /** Whether the factory has been built. */
  public boolean built() {
    return factory != null;
  }

  @Override
  public void close() {
    SessionFactory f = factory;
    if (f != null) {
      f.close();
    }
  }
}
