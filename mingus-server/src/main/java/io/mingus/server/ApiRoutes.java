package io.mingus.server;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.mingus.comms.Channel;
import io.mingus.comms.Communication;
import io.mingus.comms.CommunicationQuery;
import io.mingus.comms.CommunicationService;
import io.mingus.comms.CommunicationStatus;
import io.mingus.comms.IdempotencyKeyReusedException;
import io.mingus.comms.Page;
import io.mingus.comms.User;
import io.mingus.comms.ValidationException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code /api} endpoints over {@link CommunicationService}: users, their preferences and
 * engagement, and communications. Request bodies go through {@link Bodies}; every failure goes to
 * the one {@link ProblemMapper}.
 */
final class ApiRoutes {
  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 1000;

  private final CommunicationService service;
  private final Bodies bodies;

  ApiRoutes(CommunicationService service, Bodies bodies) {
    this.service = service;
    this.bodies = bodies;
  }

  void register(RoutesConfig routes) {
    routes.post("/api/users", this::createUser);
    routes.get("/api/users/{id}", ctx -> ctx.json(service.user(Params.id(ctx, "id"))));
    routes.get("/api/users/{id}/preferences", ctx -> ctx.json(service.preferences(Params.id(ctx, "id"))));
    routes.put("/api/users/{id}/preferences", this::updatePreferences);
    routes.get("/api/users/{id}/engagement", ctx -> ctx.json(service.engagement(Params.id(ctx, "id"))));
    routes.post("/api/communications", this::send);
    routes.post("/api/communications/batch", this::sendBatch);
    routes.get("/api/communications/{id}", ctx -> ctx.json(service.communication(Params.id(ctx, "id"))));
    routes.get("/api/communications", this::list);
  }

  private void createUser(Context ctx) {
    ApiBodies.CreateUser body = bodies.read(ctx, ApiBodies.CreateUser.class);
    User user = service.createUser(body.toNewUser());
    ctx.header("Location", "/api/users/" + user.id());
    ctx.status(HttpStatus.CREATED).json(user);
  }

  private void updatePreferences(Context ctx) {
    long id = Params.id(ctx, "id");
    ApiBodies.UpdatePreferences body = bodies.read(ctx, ApiBodies.UpdatePreferences.class);
    ctx.json(service.updatePreferences(id, body.toUpdate()));
  }

  private void send(Context ctx) {
    ApiBodies.Send body = bodies.read(ctx, ApiBodies.Send.class);
    Communication c = service.send(body.toRequest());
    ctx.header("Location", "/api/communications/" + c.id());
    ctx.status(HttpStatus.ACCEPTED).json(c);
  }

  private void sendBatch(Context ctx) {
    ApiBodies.SendBatch body = bodies.read(ctx, ApiBodies.SendBatch.class);
    List<Communication> sent;
    try {
      sent = service.sendBatch(body.toRequests());
    } catch (ValidationException e) {
      // the service numbers the items "requests[i]"; this API calls the array "communications"
      List<Problem.FieldProblem> errors = e.errors().stream()
          .map(f -> new Problem.FieldProblem(
              ProblemMapper.snakeCase(f.field()).replaceFirst("^requests", "communications"), f.message()))
          .toList();
      throw HttpProblem.invalid(ApiBodies.summary(errors), errors);
    } catch (IdempotencyKeyReusedException e) {
      throw HttpProblem.keyReused(e.field().replaceFirst("^requests", "communications"), e.differences());
    }
    ctx.status(HttpStatus.ACCEPTED).json(Map.of("communications", sent));
  }

  private void list(Context ctx) {
    Params.onlyQuery(ctx, "user_id", "status", "channel", "limit", "cursor");
    String user = ctx.queryParam("user_id");
    Long userId = user == null || user.isEmpty() ? null : Params.positive("user_id", user);
    CommunicationStatus status = label(ctx, "status", CommunicationStatus.class);
    Channel channel = label(ctx, "channel", Channel.class);
    int limit = Params.intInRange(ctx, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
    String cursor = ctx.queryParam("cursor");
    Page<Communication> page = service.communications(new CommunicationQuery(userId, status, channel, limit,
        cursor == null || cursor.isEmpty() ? null : cursor));
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("items", page.items());
    doc.put("next_cursor", page.nextCursor());
    ctx.json(doc);
  }

  private static <E extends Enum<E>> E label(Context ctx, String name, Class<E> type) {
    String raw = ctx.queryParam(name);
    if (raw == null || raw.isEmpty()) {
      return null;
    }
    for (E e : type.getEnumConstants()) {
      if (e.name().toLowerCase(Locale.ROOT).equals(raw)) {
        return e;
      }
    }
    throw HttpProblem.invalid(name, "must be one of " + String.join(", ",
        Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT)).toList()));
  }
}
