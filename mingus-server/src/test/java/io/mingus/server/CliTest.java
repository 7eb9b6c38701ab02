package io.mingus.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.mingus.comms.NewUser;
import io.mingus.db.TestDb;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
  @TempDir
  Path dir;

  record Outcome(int code, String out, String err) {
    List<String> errLines() {
      return err.lines().filter(l -> !l.isBlank()).toList();
    }

    JsonNode json() {
      try {
        return Running.JSON.readTree(out);
      } catch (IOException e) {
        throw new UncheckedIOException("stdout is not JSON: " + out, e);
      }
    }
  }

  static Outcome run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Cli.run(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Outcome(code, out.toString(), err.toString());
  }

  private Map<String, String> h2File() {
    Map<String, String> env = new HashMap<>();
    env.put("MINGUS_PROFILE", "testing");
    env.put("DATABASE_URL", "jdbc:h2:file:" + dir.resolve("mingus").toAbsolutePath() + ";DB_CLOSE_ON_EXIT=FALSE");
    env.put("MINGUS_OUTBOX", dir.resolve("outbox.jsonl").toString());
    env.put("DB_ECHO", "false");
    // the testing profile's pools of one connection cannot run Flyway, which needs two
    env.put("DB_POOL_SIZE", "2");
    env.put("WORKER_DB_POOL_SIZE", "2");
    return env;
  }

  @Test
  void bad_arguments_exit_2_with_one_line_on_stderr() {
    List<String[]> bad = List.of(
        new String[] {},
        new String[] {"frobnicate"},
        new String[] {"serve", "--bogus"},
        new String[] {"serve", "--port", "eighty"},
        new String[] {"serve", "--port", "99999"},
        new String[] {"worker", "--concurrency", "0"},
        new String[] {"send", "--user", "abc", "--channel", "sms", "--message", "hi"},
        new String[] {"send", "--user", "1", "--channel", "fax", "--message", "hi"},
        new String[] {"send", "--user", "1", "--channel", "sms"},
        new String[] {"tasks"},
        new String[] {"tasks", "show"},
        new String[] {"tasks", "show", "x"},
        new String[] {"tasks", "list", "--state", "sleeping"},
        new String[] {"tasks", "prune", "--older-than", "soon"});
    for (String[] args : bad) {
      Outcome o = run(h2File(), args);
      assertThat(o.code()).as(String.join(" ", args) + " -> " + o.err()).isEqualTo(2);
      assertThat(o.errLines()).as(String.join(" ", args)).hasSize(1);
      assertThat(o.errLines().getFirst()).as(String.join(" ", args)).startsWith("mingus");
      assertThat(o.out()).as(String.join(" ", args)).isEmpty();
    }
  }

  @Test
  void a_bad_configuration_value_exits_2_naming_the_variable() {
    Map<String, String> env = h2File();
    env.put("MINGUS_PROFILE", "staging");
    Outcome o = run(env, "health");
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.errLines()).singleElement().satisfies(l -> assertThat(l).contains("MINGUS_PROFILE=staging"));
  }

  @Test
  void every_bad_value_of_every_module_exits_2_with_one_line_naming_the_variable() {
    String sms = "SMS_API_URL=https://api.example.com SMS_ACCOUNT_SID=AC1 SMS_AUTH_TOKEN=t SMS_FROM=+15005550006";
    String smtp = "SMTP_HOST=smtp.example.com SMTP_FROM=mingus@example.com";
    Map<String, String> bad = new java.util.LinkedHashMap<>();  // variable to name -> environment
    bad.put("SMS_ACCOUNT_SID", "SMS_API_URL=https://api.example.com");
    bad.put("SMS_API_URL", sms.replace("https:", "ftp:"));
    bad.put("SMS_TIMEOUT_SECONDS", sms + " SMS_TIMEOUT_SECONDS=ten");
    bad.put("SMTP_FROM", "SMTP_HOST=smtp.example.com");
    bad.put("SMTP_PORT", smtp + " SMTP_PORT=0");
    bad.put("SMTP_STARTTLS", smtp + " SMTP_STARTTLS=maybe");
    bad.put("SMTP_TIMEOUT_SECONDS", smtp + " SMTP_TIMEOUT_SECONDS=-1");
    bad.put("DB_ECHO", "DB_ECHO=maybe");
    bad.put("DB_POOL_SIZE", "DB_POOL_SIZE=-1");
    bad.put("DB_POOL_TIMEOUT", "DB_POOL_TIMEOUT=soon");
    bad.put("MINGUS_PROFILE", "MINGUS_PROFILE=staging");
    bad.forEach((variable, vars) -> {
      Map<String, String> env = h2File();
      for (String pair : vars.split(" ")) {
        env.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
      }
      Outcome o = run(env, "migrate");
      assertThat(o.code()).as(vars + " -> " + o.err()).isEqualTo(2);
      assertThat(o.errLines()).as(vars).singleElement().satisfies(line -> assertThat(line)
          .startsWith("mingus migrate: configuration: ").contains(variable));
      assertThat(o.out()).isEmpty();
    });
    Map<String, String> env = h2File();
    env.putAll(Map.of("SMTP_HOST", "smtp.example.com", "SMTP_FROM", "mingus@example.com", "SMTP_STARTTLS", "off",
        "DB_ECHO", "off"));
    Outcome ok = run(env, "migrate");
    assertThat(ok.code()).as("on/off booleans everywhere: " + ok.err()).isZero();
  }

  @Test
  void health_exits_0_and_prints_the_document_when_the_database_answers() {
    Map<String, String> env = h2File();
    env.put("DATABASE_URL", "jdbc:h2:mem:cli-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    Outcome o = run(env, "health");
    assertThat(o.code()).as(o.out() + o.err()).isZero();
    assertThat(o.json().get("status").asText()).isEqualTo("healthy");
    assertThat(o.json().get("connection_pools").fieldNames()).toIterable().contains("main", "worker", "analytics");
  }

  @Test
  void health_on_postgresql_exits_0_and_1_when_it_cannot_be_reached() {
    TestDb.requirePostgres();
    Map<String, String> env = new HashMap<>(Map.of("MINGUS_PROFILE", "testing", "DB_ECHO", "false",
        "DATABASE_URL", TestDb.postgresUrl(), "DB_USER", TestDb.postgresUser()));
    Outcome up = run(env, "health");
    assertThat(up.code()).as(up.out() + up.err()).isZero();

    env.put("DATABASE_URL", "jdbc:postgresql://127.0.0.1:1/test?connectTimeout=2");
    env.put("DB_POOL_TIMEOUT", "1");
    env.put("WORKER_DB_POOL_TIMEOUT", "1");
    env.put("ANALYTICS_DB_POOL_TIMEOUT", "1");
    env.put("DB_HEALTH_CHECK_TIMEOUT_MS", "1000");
    Outcome down = run(env, "health");
    assertThat(down.code()).as(down.out() + down.err()).isEqualTo(1);
    assertThat(down.json().get("status").asText()).isNotEqualTo("healthy");
  }

  @Test
  void migrate_then_tasks_and_send_work_on_an_h2_file() {
    Map<String, String> env = h2File();
    Outcome migrate = run(env, "migrate");
    assertThat(migrate.code()).as(migrate.err()).isZero();
    assertThat(migrate.out()).contains("up to date");
    Outcome noUser = run(env, "send", "--user", "1", "--channel", "sms", "--message", "hi");
    assertThat(noUser.code()).as(noUser.err()).isEqualTo(2);
    assertThat(noUser.errLines()).singleElement().satisfies(l -> assertThat(l).contains("user_id"));
    Outcome list = run(env, "tasks", "list");
    assertThat(list.code()).as(list.err()).isZero();
    assertThat(list.out().lines().findFirst()).hasValueSatisfying(l -> assertThat(l).startsWith("ID"));
    Outcome show = run(env, "tasks", "show", "42");
    assertThat(show.code()).isEqualTo(1);
    assertThat(show.errLines()).singleElement().satisfies(l -> assertThat(l).contains("task 42 does not exist"));
    long user;
    try (Services services = Services.open(env)) {
      user = services.service().createUser(new NewUser("cli@example.com", "+14155550160", "UTC")).id();
    }
    Outcome sent = run(env, "send", "--user", Long.toString(user), "--channel", "SMS", "--message", "from the CLI");
    assertThat(sent.code()).as(sent.err()).isZero();
    assertThat(sent.json().get("status").asText()).isEqualTo("queued");
    long task = sent.json().get("task_id").asLong();
    Outcome queued = run(env, "tasks", "list", "--state", "queued");
    assertThat(queued.out()).contains("comms.send-sms", "queued");
    assertThat(run(env, "tasks", "cancel", Long.toString(task)).out()).contains("task " + task + " is cancelled");
    Outcome again = run(env, "tasks", "cancel", Long.toString(task));
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.errLines()).singleElement().satisfies(l -> assertThat(l).contains("only queued tasks"));
    assertThat(run(env, "tasks", "retry", Long.toString(task)).out()).contains("task " + task + " is queued again");
    assertThat(run(env, "tasks", "show", Long.toString(task)).json().get("state").asText()).isEqualTo("queued");
    Outcome prune = run(env, "tasks", "prune", "--older-than", "1d");
    assertThat(prune.code()).as(prune.err()).isZero();
    assertThat(prune.out()).contains("pruned 0");
  }
}
