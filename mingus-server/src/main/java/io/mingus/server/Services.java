package io.mingus.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.mingus.comms.CommunicationService;
import io.mingus.comms.Providers;
import io.mingus.db.Database;
import io.mingus.db.DatabaseConfig;
import io.mingus.db.ProcessRole;
import io.mingus.tasks.TaskQueue;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@code mingus} command runs on, built from the environment: the database (with a
 * Prometheus registry and the domain's entities), migrated, the task queue and the communication
 * service. {@link #close()} closes the database last; idempotent.
 */
final class Services implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Services.class);

  private final Database db;
  private final TaskQueue queue;
  private final CommunicationService service;
  private final boolean warmInBackground;
  private JvmGcMetrics gc;
  private boolean started;
  private boolean closed;

  private Services(Database db, TaskQueue queue, CommunicationService service, boolean warmInBackground) {
    this.db = db;
    this.queue = queue;
    this.service = service;
    this.warmInBackground = warmInBackground;
  }

  /** The database alone, not migrated: for {@code mingus health}. */
  static Database database(Map<String, String> env) {
    return Database.builder(DatabaseConfig.fromEnvironment(env))
        .entities(CommunicationService.entities())
        .meterRegistry(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
        .build();
  }

  /** Everything for a command that may use any pool, migrated. */
  static Services open(Map<String, String> env) {
    return open(env, ProcessRole.ALL, false);
  }

  /**
   * Everything, with both modules' migrations applied (Flyway serializes concurrent starts; a
   * database that has them all skips Flyway), for a process of this role: it opens only the pools
   * the role uses. A long-running command calls {@link #started()} once it serves.
   */
  static Services open(Map<String, String> env, ProcessRole role, boolean warmInBackground) {
    return open(env, role, warmInBackground, false);
  }

  /**
   * As {@link #open(Map, ProcessRole, boolean)}; with {@code validateMigrations}, Flyway runs (and
   * validates the applied scripts' checksums) even when every shipped migration is applied
   * ({@code mingus migrate}); otherwise such a start skips Flyway.
   */
  static Services open(Map<String, String> env, ProcessRole role, boolean warmInBackground,
      boolean validateMigrations) {
    // every setting is read before anything opens: a bad one is one line and exit 2, nothing to close
    Providers providers = Providers.fromEnvironment(env);
    DatabaseConfig config = DatabaseConfig.fromEnvironment(env);
    Database db = Database.builder(config)
        .entities(CommunicationService.entities())
        .meterRegistry(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
        .role(role)
        .validateMigrations(validateMigrations)
        .build();
    try {
      TaskQueue queue = TaskQueue.create(db);
      CommunicationService.migrate(db);
      CommunicationService service = CommunicationService.create(db, queue, providers);
      return new Services(db, queue, service, warmInBackground);
    } catch (RuntimeException e) {
      db.close();
      throw e;
    }
  }

  /**
   * What a long-running process need not wait for before it serves, done once it does (after its
   * HTTP server or worker started; one-shot commands skip it): binds the JVM's meters (memory,
   * threads, GC, class loading, CPU, uptime) to the registry, and with {@code warmInBackground}
   * builds Hibernate on a thread of its own, so that a start does not share its CPU with it; a
   * request that needs Hibernate before it is built waits for it (the build is shared and runs
   * once). Idempotent.
   */
  synchronized void started() {
    if (started || closed) {
      return;
    }
    started = true;
    if (warmInBackground) {
      Thread.ofPlatform().daemon().name("mingus-orm-warm-up").start(() -> {
        try {
          db.sessionFactory();
        } catch (RuntimeException e) {
          // the first request that needs Hibernate builds it again and reports the failure
          LOG.warn("building Hibernate in the background failed: {}", e.toString());
        }
      });
    }
    MeterRegistry registry = db.meterRegistry();
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    gc = new JvmGcMetrics();
    gc.bindTo(registry);
  }

  Database db() {
    return db;
  }

  TaskQueue queue() {
    return queue;
  }

  CommunicationService service() {
    return service;
  }

  @Override
  public void close() {
    JvmGcMetrics meters;
    synchronized (this) {
      closed = true;
      meters = gc;
      gc = null;
    }
    try {
      if (meters != null) {
        meters.close();
      }
    } finally {
      db.close();
    }
  }
}
