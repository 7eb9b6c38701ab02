package io.mingus.server;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The operator's dashboard: {@code /} leads to {@code /dashboard}, a page of plain HTML, CSS and
 * JavaScript shipped in the jar (uPlot, from its WebJar, draws the charts), which polls {@code
 * GET /dashboard/live} every two seconds and retries or cancels tasks through {@code
 * /admin/tasks}. The page and its data are admin endpoints ({@link Access}); a browser is asked
 * for Basic credentials (any user name, the admin token as password) and a refused page is a page
 * that says what to do. The static assets hold no data and are public, so that page can be
 * styled. Everything works under {@code default-src 'self'}: no inline script or style, no other
 * host. {@code /openapi.json} (public) describes every route. Assets are read once, at
 * construction. Thread-safe.
 */
final class ConsoleRoutes {
  static final String CSP = "default-src 'self'; frame-ancestors 'none'";
  private static final String ASSETS = "/dashboard/assets/";

  private final Access access;
  private final ConsoleLive live;
  private final Asset page;
  private final Asset openApi;
  private final Map<String, Asset> assets = new LinkedHashMap<>();

  private record Asset(byte[] bytes, String contentType, String etag) {}

  ConsoleRoutes(Access access, ConsoleLive live) {
    this.access = access;
    this.live = live;
    String own = "io/mingus/server/console/";
    String uplot = "META-INF/resources/webjars/uplot/" + webJarVersion("org.webjars.npm", "uplot") + "/";
    this.page = asset(own + "index.html", "text/html; charset=utf-8");
    this.openApi = asset("io/mingus/server/openapi.json", "application/json");
    assets.put("console.css", asset(own + "console.css", "text/css; charset=utf-8"));
    assets.put("console.js", asset(own + "console.js", "text/javascript; charset=utf-8"));
    assets.put("uPlot.min.css", asset(uplot + "dist/uPlot.min.css", "text/css; charset=utf-8"));
    assets.put("uPlot.iife.min.js", asset(uplot + "dist/uPlot.iife.min.js", "text/javascript; charset=utf-8"));
    assets.put("uPlot.LICENSE.txt", asset(uplot + "LICENSE", "text/plain; charset=utf-8"));
  }

  void register(RoutesConfig routes) {
    routes.get("/", ctx -> ctx.redirect("/dashboard", HttpStatus.FOUND));
    routes.get("/dashboard", ctx -> {
      ctx.header("Content-Security-Policy", CSP);
      send(ctx, page);
    });
    routes.get(ASSETS + "{name}", this::asset);
    routes.get("/dashboard/live", this::live);
    routes.get("/openapi.json", ctx -> send(ctx, openApi));
  }

  /**
   * The before-handler of {@code /dashboard} and {@code /dashboard/*}: assets are public, the rest
   * needs the admin; a browser that is refused gets a page saying how to get in.
   */
  void guard(Context ctx) {
    if (ctx.path().startsWith(ASSETS)) {
      return;
    }
    try {
      access.requireAdmin(ctx);
    } catch (HttpProblem refused) {
      if (!Access.wantsHtml(ctx)) {
        throw refused;
      }
      refused.headers().forEach(ctx::header);
      ctx.header("Content-Security-Policy", CSP);
      ctx.status(refused.status()).html(refusal(refused));
      ctx.skipRemainingHandlers();
    }
  }

  private void live(Context ctx) {
    Params.onlyQuery(ctx, "since");
    String since = ctx.queryParam("since");
    long after = 0;
    if (since != null && !since.isEmpty()) {
      try {
        after = Long.parseLong(since);
      } catch (NumberFormatException e) {
        after = -1;
      }
      if (after < 0) {
        throw HttpProblem.invalid("since", "must be a whole number of 0 or more (the seq of the last document)");
      }
    }
    ctx.header("Cache-Control", "no-store");
    ctx.json(live.document(after));
  }

  private void asset(Context ctx) {
    Asset asset = assets.get(ctx.pathParam("name"));
    if (asset == null) {
      throw HttpProblem.notFound("no dashboard asset " + ctx.pathParam("name") + "; there are " + assets.keySet());
    }
    send(ctx, asset);
  }

  private static void send(Context ctx, Asset asset) {
    ctx.header("Cache-Control", "no-cache");
    ctx.header("ETag", asset.etag());
    ctx.header("X-Content-Type-Options", "nosniff");
    if (asset.etag().equals(ctx.header("If-None-Match"))) {
      ctx.status(HttpStatus.NOT_MODIFIED);
      return;
    }
    ctx.contentType(asset.contentType()).result(asset.bytes());
  }

  private static String refusal(HttpProblem refused) {
    String how = refused.status() == 401
        ? "Sign in with any user name and the admin token (<code>MINGUS_ADMIN_TOKEN</code>) as the password."
        : "Without <code>MINGUS_ADMIN_TOKEN</code> the dashboard answers only on the server itself (loopback)."
            + " Set the token to open it from elsewhere.";
    return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Mingus console: sign in</title><link rel="stylesheet" href="/dashboard/assets/console.css"></head>
        <body class="refused"><main class="refusal" id="refusal"><h1>Mingus console</h1>
        <p class="lead">This dashboard needs the admin token.</p><p>%s</p><p class="muted">%d %s: %s</p></main></body></html>
        """.formatted(how, refused.status(), escape(refused.title()), escape(refused.getMessage()));
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static Asset asset(String resource, String contentType) {
    try (InputStream in = ConsoleRoutes.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("the dashboard asset " + resource + " is missing from the class path;"
            + " rebuild the jar (mvnw package)");
      }
      byte[] bytes = in.readAllBytes();
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(bytes);
      return new Asset(bytes, contentType, "\"" + HexFormat.of().formatHex(hash, 0, 12) + "\"");
    } catch (IOException e) {
      throw new UncheckedIOException("could not read the dashboard asset " + resource, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  /** The version of a WebJar on the class path, from its Maven properties. */
  static String webJarVersion(String group, String artifact) {
    String resource = "META-INF/maven/" + group + "/" + artifact + "/pom.properties";
    try (InputStream in = ConsoleRoutes.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("the WebJar " + group + ":" + artifact + " is missing from the class path ("
            + resource + " not found); it is a dependency of mingus-server");
      }
      Properties p = new Properties();
      p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + resource, e);
    }
  }
}
