package io.mingus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.mingus.db.TestEngine;
import io.mingus.tasks.Task;
import io.mingus.tasks.TaskContext;
import io.mingus.tasks.TaskOptions;
import io.mingus.tasks.Worker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in a real browser (Debian's headless Chromium over the DevTools protocol), as an
 * operator uses it: refused without the token; with it, the pools' numbers are those of {@code
 * /metrics/database}, the charts draw and move, a failed task shows its error and its Retry button
 * queues it again, Cancel cancels a queued task, and nothing on the page breaks the
 * Content-Security-Policy. Screenshots at 1280 and 390 px go to {@code target/}.
 */
class DashboardBrowserTest {
  private static final String TOKEN = "browser-test-admin-token-0123";
  private static final String DECLINED = "card declined by the test gateway: insufficient funds";

  @TempDir
  Path dir;

  record Charge(String card) {}

  /** A task that always fails with {@link #DECLINED}: the failed task an operator must see. */
  static final class ChargeCard implements Task<Charge> {
    @Override
    public String name() {
      return "billing.charge-card";
    }

    @Override
    public Class<Charge> payloadType() {
      return Charge.class;
    }

    @Override
    public void run(TaskContext ctx, Charge payload) {
      throw new IllegalStateException(DECLINED);
    }
  }

  @Test
  void an_operator_sees_the_system_live_and_retries_a_failed_task() throws Exception {
    Path chromium = Chromium.executable().orElse(null);
    if (chromium == null) {
      String why = "Chromium is not installed (apt-get install chromium; .ci/run does): the browser test did not run";
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError(why);
      }
      System.err.println("SKIPPED: " + why);
      Assumptions.abort(why);
    }
    ServerSettings settings = ServerSettings.defaults().withAdminToken(TOKEN);
    try (Running server = Running.start(TestEngine.H2, dir, settings, true, b -> b);
        Chromium browser = Chromium.launch(chromium, dir.resolve("chromium-profile"))) {
      String base = "http://127.0.0.1:" + server.app.port();
      String basic = "Basic " + Base64.getEncoder().encodeToString(("operator:" + TOKEN).getBytes(StandardCharsets.UTF_8));
      String[] bearer = {"Authorization", "Bearer " + TOKEN};

      Page stranger = browser.newPage(1280, 900);
      stranger.cancelLogins();
      assertThat(stranger.open(base + "/")).isEqualTo(401);
      assertThat(stranger.text("#refusal")).contains("This dashboard needs the admin token");
      assertThat(stranger.eval("document.querySelectorAll('[data-pool]').length").asInt()).isZero();
      assertThat(server.get("/dashboard/live").statusCode()).isEqualTo(401);

      long failedTask = failATask(server);
      long waiting = server.queue.enqueue(new ChargeCard(), new Charge("4000-0000"),
          TaskOptions.defaults().withQueue("nightly").withDelay(Duration.ofHours(1)));
      sendSome(server);

      Page page = browser.newPage(1280, 900);
      page.headers(Map.of("Authorization", basic));
      assertThat(page.open(base + "/dashboard")).isEqualTo(200);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertThat(page.text("#overall-text")).isEqualTo("Healthy"));

      // the pools' numbers are those of /metrics/database
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        JsonNode metrics = Running.json(server.get("/metrics/database", bearer)).get("pool_metrics");
        for (String pool : List.of("main", "worker", "analytics")) {
          for (String field : List.of("pool_size", "max_size", "checked_out", "checked_in", "connection_errors",
              "timeouts")) {
            assertThat(number(page.text("[data-pool='" + pool + "'] [data-f='" + field + "']")))
                .as(pool + " " + field).isEqualTo(metrics.get(pool).get(field).asLong());
          }
        }
      });

      // the charts draw and move: new points at least every two seconds
      int updates = page.eval("window.mingusConsole.updates").asInt();
      await().atMost(Duration.ofSeconds(10)).until(() -> page.eval("window.mingusConsole.updates").asInt() >= updates + 2);
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        assertThat(page.eval("window.mingusConsole.series.x.length").asInt()).isGreaterThanOrEqualTo(3);
        assertThat(drawnPixels(page, "chart-tasks", "--series-ok")).as("succeeded line on the tasks chart").isPositive();
        assertThat(drawnPixels(page, "chart-comms", "--series-1")).as("SMS line on the communications chart").isPositive();
      });
      assertThat(page.text("[data-k='tasks_succeeded']")).isNotEqualTo("–");
      assertThat(number(page.text("[data-e='users']"))).isEqualTo(2);

      // the failed task with its error
      String row = "#task-list [data-task-id='" + failedTask + "']";
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        assertThat(page.text(row + " [data-role='error']")).contains(DECLINED);
        assertThat(page.text(row + " [data-role='state']")).isEqualTo("failed");
      });
      assertThat(number(page.text("#depth [data-queue='billing'] [data-state='failed']"))).isEqualTo(1);
      page.screenshot(Path.of("target", "dashboard-1280.png"));
      page.resize(390, 844);
      await().atMost(Duration.ofSeconds(10)).until(() -> page.eval("document.querySelector('#chart-tasks canvas').width").asInt() < 390);
      page.screenshot(Path.of("target", "dashboard-390.png"));
      page.resize(1280, 900);

      // pressing Retry queues it again
      page.click(row + " [data-action='retry']");
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(page.text(row + " [data-role='state']")).isEqualTo("queued"));
      assertThat(Running.json(server.get("/admin/tasks/" + failedTask, bearer)).get("state").asText()).isEqualTo("queued");
      assertThat(page.text("#toast")).contains("Task " + failedTask + " is queued again");

      // pressing Cancel on a waiting task cancels it
      page.click(".tab[data-tab='queued']");
      String waitingRow = "#task-list [data-task-id='" + waiting + "']";
      await().atMost(Duration.ofSeconds(10)).until(() -> page.text(waitingRow) != null);
      page.click(waitingRow + " [data-action='cancel']");
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(Running.json(server.get("/admin/tasks/" + waiting, bearer)).get("state").asText()).isEqualTo("cancelled"));

      assertThat(page.problems()).as("errors and CSP violations on the page").isEmpty();
    }
  }

  /** Runs a charge-card task on a worker of its own until it fails, then stops that worker. */
  private static long failATask(Running server) {
    long id = server.queue.enqueue(new ChargeCard(), new Charge("4242-4242"),
        TaskOptions.defaults().withQueue("billing").withMaxAttempts(1));
    try (Worker billing = Worker.builder(server.testDb.db(), server.queue).register(new ChargeCard())
        .queue("billing", 1).pollInterval(Duration.ofMillis(50)).build()) {
      billing.start();
      await().atMost(Duration.ofSeconds(20)).until(() ->
          server.queue.admin().find(id).orElseThrow().state().name().equals("FAILED"));
    }
    return id;
  }

  /** Two users, a few SMS and emails through the API; waits until the worker sent them. */
  private static void sendSome(Running server) {
    long ada = server.createUser("ada@example.com", "+14155550123", "UTC");
    long bob = server.createUser("bob@example.com", "+14155550124", "UTC");
    for (int i = 0; i < 6; i++) {
      long user = i % 2 == 0 ? ada : bob;
      String channel = i % 3 == 0 ? "email" : "sms";
      server.post("/api/communications", "{\"user_id\": " + user + ", \"channel\": \"" + channel
          + "\", \"subject\": \"Hello\", \"message\": \"Message " + i + "\"}");
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> server.outboxLines().size() == 6);
  }

  /** Pixels of the chart's canvas drawn in the colour of a CSS variable. */
  private static int drawnPixels(Page page, String chart, String colourVariable) {
    return page.eval("""
        (() => {
          const hex = getComputedStyle(document.documentElement).getPropertyValue('%s').trim();
          const want = [1, 3, 5].map(i => parseInt(hex.substr(i, 2), 16));
          const canvas = document.querySelector('#%s canvas');
          const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          let n = 0;
          for (let i = 0; i < data.length; i += 4) {
            if (data[i + 3] > 200 && Math.abs(data[i] - want[0]) < 24 && Math.abs(data[i + 1] - want[1]) < 24
                && Math.abs(data[i + 2] - want[2]) < 24) n++;
          }
          return n;
        })()""".formatted(colourVariable, chart)).asInt();
  }

  private static long number(String text) {
    assertThat(text).as("a number on the page").isNotNull().matches("[0-9,]+");
    return Long.parseLong(text.replace(",", ""));
  }
}
