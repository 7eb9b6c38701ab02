package io.mingus.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;

/**
 * One tab of {@link Chromium}: navigate, evaluate JavaScript, press an element with the mouse,
 * screenshots, and what the page logged (console errors, exceptions, CSP violations).
 */
final class Page {
  private final Chromium browser;
  private final String session;
  private final List<String> problems = new CopyOnWriteArrayList<>();
  private volatile boolean loaded;
  private volatile int status;
  private volatile boolean cancelLogins;

  Page(Chromium browser, String session) {
    this.browser = browser;
    this.session = session;
  }

  JsonNode call(String method, Map<String, ?> params) {
    return browser.call(session, method, params);
  }

  void resize(int width, int height) {
    call("Emulation.setDeviceMetricsOverride", Map.of("width", width, "height", height, "deviceScaleFactor", 1,
        "mobile", width < 600));
  }

  /** Sends these headers with every request of this tab (a browser's saved login, say). */
  void headers(Map<String, String> headers) {
    call("Network.setExtraHTTPHeaders", Map.of("headers", headers));
  }

  /**
   * Answers a server's request for a login as a person who has none would: with Cancel, after which
   * the browser shows the page that came with the refusal.
   */
  void cancelLogins() {
    // Fetch pauses every request it sees (and so sees logins): each one is let through at once
    call("Fetch.enable", Map.of("patterns", List.of(Map.of("urlPattern", "*")), "handleAuthRequests", true));
    cancelLogins = true;
  }

  /** Opens {@code url} and waits for its load event; returns the document's HTTP status. */
  int open(String url) {
    loaded = false;
    status = 0;
    call("Page.navigate", Map.of("url", url));
    await().atMost(Duration.ofSeconds(30)).until(() -> loaded);
    return status;
  }

  /** The value of a JavaScript expression (a promise is awaited). */
  JsonNode eval(String expression) {
    JsonNode result = call("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true,
        "awaitPromise", true));
    if (result.has("exceptionDetails")) {
      throw new IllegalStateException("JavaScript failed: " + result.get("exceptionDetails") + "\n" + expression);
    }
    return result.path("result").path("value");
  }

  String text(String selector) {
    return eval("(() => { const e = document.querySelector(" + quote(selector) + "); return e ? e.textContent : null; })()")
        .asText(null);
  }

  /** Presses the element with real mouse events at its centre, after scrolling it into view. */
  void click(String selector) {
    JsonNode box = eval("(() => { const e = document.querySelector(" + quote(selector) + ");"
        + " if (!e) return null; e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
        + " return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()");
    if (box.isNull() || box.isMissingNode()) {
      throw new AssertionError("nothing on the page matches " + selector);
    }
    double x = box.get("x").asDouble();
    double y = box.get("y").asDouble();
    call("Input.dispatchMouseEvent", Map.of("type", "mouseMoved", "x", x, "y", y));
    call("Input.dispatchMouseEvent", Map.of("type", "mousePressed", "x", x, "y", y, "button", "left", "clickCount", 1));
    call("Input.dispatchMouseEvent", Map.of("type", "mouseReleased", "x", x, "y", y, "button", "left", "clickCount", 1));
  }

  /** A PNG of the whole page (beyond the viewport) at the current width. */
  void screenshot(Path file) throws java.io.IOException {
    JsonNode shot = call("Page.captureScreenshot", Map.of("format", "png", "captureBeyondViewport", true));
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.write(file, Base64.getDecoder().decode(shot.get("data").asText()));
  }

  /** Errors the page logged: console errors, uncaught exceptions, blocked resources and CSP violations. */
  List<String> problems() {
    return List.copyOf(problems);
  }

  void event(JsonNode message) {
    if (!session.equals(message.path("sessionId").asText())) {
      return;
    }
    JsonNode params = message.path("params");
    switch (message.path("method").asText()) {
      case "Page.loadEventFired" -> loaded = true;
      case "Fetch.requestPaused" -> {
        String request = params.path("requestId").asText();
        Thread.ofVirtual().start(() -> call("Fetch.continueRequest", Map.of("requestId", request)));
      }
      case "Fetch.authRequired" -> {
        String request = params.path("requestId").asText();
        if (cancelLogins) {
          // not on the socket's thread, which must go on reading the answer
          Thread.ofVirtual().start(() -> call("Fetch.continueWithAuth", Map.of("requestId", request,
              "authChallengeResponse", Map.of("response", "CancelAuth"))));
        }
      }
      case "Network.responseReceived" -> {
        if ("Document".equals(params.path("type").asText())) {
          status = params.path("response").path("status").asInt();
        }
      }
      case "Runtime.exceptionThrown" -> problems.add("exception: " + params.path("exceptionDetails"));
      case "Runtime.consoleAPICalled" -> {
        if ("error".equals(params.path("type").asText()) || "warning".equals(params.path("type").asText())) {
          problems.add("console." + params.path("type").asText() + ": " + params.path("args"));
        }
      }
      case "Log.entryAdded" -> {
        JsonNode entry = params.path("entry");
        if ("error".equals(entry.path("level").asText()) || "warning".equals(entry.path("level").asText())) {
          problems.add("log " + entry.path("source").asText() + ": " + entry.path("text").asText() + " "
              + entry.path("url").asText());
        }
      }
      default -> { }
    }
  }

  static String quote(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
