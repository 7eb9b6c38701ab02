package io.mingus.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.json.JavalinJackson;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.mingus.comms.CommunicationService;
import io.mingus.db.Database;
import io.mingus.tasks.TaskQueue;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Mingus HTTP server: the {@code /api} endpoints, the database health, metrics and
 * dashboard documents, Prometheus metrics, the health probes, the task admin endpoints and the
 * operator's dashboard at {@code /dashboard}, on Javalin with virtual threads.
 *
 * <pre>{@code
 * try (MingusApp app = MingusApp.create(db, queue, service, ServerSettings.fromEnvironment()).start()) {
 *   System.out.println("listening on " + app.port());
 *   ...
 * }
 * }</pre>
 *
 * <p>The app does not own its database, queue or service: the caller closes them after the app.
 * Prometheus's {@code /metrics} shows the database's meter registry when that is a {@link
 * PrometheusMeterRegistry} (build the {@link Database} with one), otherwise only the HTTP meters.
 * Thread-safe; {@link #close()} is idempotent.
 */
public final class MingusApp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MingusApp.class);

  private final ServerSettings settings;
  private final Javalin javalin;
  private final ConsoleHistory history;
  private volatile boolean started;
  private volatile boolean closed;

  private MingusApp(Database db, TaskQueue queue, CommunicationService service, ServerSettings settings,
      InstantSource clock) {
    this.settings = settings;
    PrometheusMeterRegistry prometheus = db.meterRegistry() instanceof PrometheusMeterRegistry p
        ? p : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ObjectMapper mapper = Json.mapper();
    Bodies bodies = new Bodies(mapper, settings.maxBodyBytes());
    Access access = new Access(settings);
    ProblemMapper problems = new ProblemMapper(settings.retryAfter());
    HealthRoutes health = new HealthRoutes(db, new DatabaseDocuments(db, clock), prometheus);
    ApiRoutes api = new ApiRoutes(service, bodies);
    TaskRoutes tasks = new TaskRoutes(queue.admin());
    this.history = new ConsoleHistory(db.meterRegistry(), db.pools(), clock);
    ConsoleRoutes console = new ConsoleRoutes(access, new ConsoleLive(db, new DatabaseDocuments(db, clock),
        queue.admin(), service, history, clock));
    HttpEdge[] edge = new HttpEdge[1];
    this.javalin = Javalin.create(config -> {
      configure(config, mapper, settings);
      config.routes.before(RequestIds::assign);
      config.routes.before(ctx -> edge[0].before(ctx));
      config.routes.before("/api/*", access::requireApiKey);
      config.routes.before("/admin/*", access::requireAdmin);
      config.routes.before("/metrics", access::requireAdmin);
      config.routes.before("/metrics/*", access::requireAdmin);
      config.routes.before("/dashboard", console::guard);
      config.routes.before("/dashboard/*", console::guard);
      health.register(config.routes);
      api.register(config.routes);
      tasks.register(config.routes);
      console.register(config.routes);
      config.routes.after(RequestIds::clear);
      config.routes.exception(Exception.class, problems);
      config.routes.error(404, ctx -> notFound(ctx, edge[0]));
      config.routes.error(405, ctx -> notFound(ctx, edge[0]));
      config.requestLogger.http(new RequestTimers(prometheus)::record);
      config.jetty.modifyServer(server -> server.setErrorHandler(new JettyProblems(mapper)));
    });
    edge[0] = new HttpEdge(javalin.unsafe.internalRouter);
    edge[0].addHeadRoutes();
  }

  /** An app on these collaborators with the system clock; call {@link #start()}. */
  public static MingusApp create(Database db, TaskQueue queue, CommunicationService service,
      ServerSettings settings) {
    return create(db, queue, service, settings, InstantSource.system());
  }

  /** An app whose documents are stamped by {@code clock}; call {@link #start()}. */
  public static MingusApp create(Database db, TaskQueue queue, CommunicationService service,
      ServerSettings settings, InstantSource clock) {
    return new MingusApp(Objects.requireNonNull(db, "db"), Objects.requireNonNull(queue, "queue"),
        Objects.requireNonNull(service, "service"), Objects.requireNonNull(settings, "settings"),
        Objects.requireNonNull(clock, "clock"));
  }

  private static void configure(JavalinConfig config, ObjectMapper mapper, ServerSettings settings) {
    config.concurrency.useVirtualThreads = true;
    config.jsonMapper(new JavalinJackson(mapper, true));
    config.http.maxRequestSize = settings.maxBodyBytes();
    // Javalin copies every response through a buffer of this size, allocated per response (by
    // default Jetty's 32 KB output buffer: over half of the server's garbage under load, and still
    // an eighth at 4 KB, for answers mostly under 1 KB); larger ones take more copies into Jetty's
    // own output buffer, which is what goes to the socket.
    config.http.responseBufferSize = 1024;
    config.startup.showJavalinBanner = false;
    config.startup.showOldJavalinVersionWarning = false;
  }

  /** Listens on the settings' host and port (0 picks a free port; see {@link #port()}). */
  public MingusApp start() {
    if (closed) {
      throw new IllegalStateException("this MingusApp is closed");
    }
    javalin.start(settings.host(), settings.port());
    history.start();
    started = true;
    LOG.info("HTTP server listening on {}:{} ({})", settings.host(), javalin.port(), settings);
    return this;
  }

  /** The port the server listens on. */
  public int port() {
    if (!started) {
      throw new IllegalStateException("the app is not started");
    }
    return javalin.port();
  }

  /** Every route as {@code METHOD path} (the OpenAPI test compares them with the document). */
  List<String> routes() {
    return javalin.unsafe.internalRouter.allHttpHandlers().stream()
        .filter(e -> e.endpoint.method != HandlerType.HEAD)
        .map(e -> e.endpoint.method.name() + " " + e.endpoint.path)
        .toList();
  }

  /** Stops accepting requests and stops the HTTP server; idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    history.close();
    if (started) {
      javalin.stop();
      LOG.info("HTTP server stopped");
    }
  }

  /**
   * Unknown paths answer with a problem document too; a path that exists with other methods is a
   * 405 naming them in {@code Allow}.
   */
  private static void notFound(Context ctx, HttpEdge edge) {
    String type = ctx.res().getContentType();
    if (type != null && type.startsWith(Problem.CONTENT_TYPE)) {
      return;
    }
    String allowed = edge.allowed(ctx.path());
    if (!allowed.isEmpty()) {
      ctx.header("Allow", allowed);
      ProblemMapper.write(ctx, new Problem(Problem.TYPE_METHOD, "Method not allowed", 405,
          ctx.path() + " does not answer " + ctx.method() + "; it answers " + allowed, ctx.path(), List.of(),
          RequestIds.of(ctx)));
      return;
    }
    ProblemMapper.write(ctx, new Problem(Problem.TYPE_NOT_FOUND, "Not found", 404,
        "no endpoint " + ctx.method() + " " + ctx.path(), ctx.path(), List.of(), RequestIds.of(ctx)));
  }

  /**
   * {@code http_server_requests} by method, route and status. Each timer is looked up once: building
   * and registering one per request made a third of the server's garbage under load. Routes are
   * templates ({@code /api/communications/{id}}) and statuses few, so the map stays small.
   */
  private static final class RequestTimers {
    private record Key(HandlerType method, String uri, int status) {}

    private final MeterRegistry registry;
    private final Map<Key, Timer> timers = new ConcurrentHashMap<>();

    RequestTimers(MeterRegistry registry) {
      this.registry = registry;
    }

    void record(Context ctx, Float millis) {
      Endpoint endpoint = ctx.endpoints().lastHttpEndpoint();
      Key key = new Key(ctx.method(), endpoint == null ? "UNKNOWN" : endpoint.path, ctx.statusCode());
      Timer timer = timers.get(key);
      if (timer == null) {
        timer = timers.computeIfAbsent(key, k -> Timer.builder("http.server.requests")
            .description("HTTP requests by method, route and status")
            .tag("method", k.method().name())
            .tag("uri", k.uri())
            .tag("status", Integer.toString(k.status()))
            .register(registry));
      }
      timer.record((long) (millis * 1_000_000L), TimeUnit.NANOSECONDS);
    }
  }
}
