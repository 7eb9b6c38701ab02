package io.mingus.comms.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mingus.comms.OutgoingEmail;
import io.mingus.comms.OutgoingSms;
import io.mingus.comms.Providers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.io.TempDir;

class OutboxProviderTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  private final List<ILoggingEvent> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>() {
    @Override
    protected void append(ILoggingEvent e) {
      logged.add(e);
    }
  };

  private ch.qos.logback.classic.Level level;

  @BeforeEach
  void captureLog() {
    appender.start();
    Logger logger = (Logger) LoggerFactory.getLogger(OutboxProvider.class);
    level = logger.getLevel();
    logger.setLevel(ch.qos.logback.classic.Level.DEBUG);
    logger.addAppender(appender);
  }

  @AfterEach
  void releaseLog() {
    Logger logger = (Logger) LoggerFactory.getLogger(OutboxProvider.class);
    logger.detachAppender(appender);
    logger.setLevel(level);
  }

  @Test
  void every_message_becomes_one_json_line_with_its_text_verbatim() throws Exception {
    Path file = dir.resolve("nested/outbox.jsonl");
    OutboxProvider box = new OutboxProvider(file);
    String text = "It's \"quoted\"; DROP TABLE users; -- héllo 日本 🎉\nsecond line";
    assertThat(box.send(new OutgoingSms(7, "7", "+14155550100", text)).providerMessageId()).isEqualTo("outbox-7");
    box.send(new OutgoingEmail(8, "8", "ada@example.com", "Sujet é", "body"));

    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(2);
    assertThat(logged).as("one DEBUG line per message, none at INFO").hasSize(2)
        .allMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.DEBUG);
    assertThat(logged.getFirst().getFormattedMessage()).contains("sms communication 7").doesNotContain("quoted")
        .doesNotContain("DROP");
    JsonNode sms = JSON.readTree(lines.get(0));
    assertThat(sms.get("channel").asText()).isEqualTo("sms");
    assertThat(sms.get("communication_id").asLong()).isEqualTo(7);
    assertThat(sms.get("idempotency_key").asText()).isEqualTo("7");
    assertThat(sms.get("body").asText()).isEqualTo(text);
    JsonNode email = JSON.readTree(lines.get(1));
    assertThat(email.get("subject").asText()).isEqualTo("Sujet é");
    assertThat(email.get("to").asText()).isEqualTo("ada@example.com");
  }

  @Test
  void concurrent_appends_never_interleave() throws Exception {
    Path file = dir.resolve("outbox.jsonl");
    OutboxProvider box = new OutboxProvider(file);
    String longText = "x".repeat(5_000);
    try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        long id = i;
        futures.add(pool.submit(() -> box.send(new OutgoingSms(id, Long.toString(id), "+14155550100", longText))));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    }
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(200);
    Set<Long> ids = new HashSet<>();
    for (String line : lines) {
      JsonNode node = JSON.readTree(line);
      assertThat(node.get("body").asText()).isEqualTo(longText);
      ids.add(node.get("communication_id").asLong());
    }
    assertThat(ids).hasSize(200);
  }

  @Test
  void sends_arriving_while_a_batch_is_written_go_together_in_the_next_one() throws Exception {
    Path file = dir.resolve("outbox.jsonl");
    java.util.concurrent.atomic.AtomicReference<OutboxProvider> ref = new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
    // the first batch (one line) is held back until the 99 other sends wait for the next one
    OutboxProvider box = new OutboxProvider(file, java.time.Clock.systemUTC(), () -> {
      if (first.getAndSet(false)) {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> ref.get().waiting() == 99);
      }
    });
    ref.set(box);
    try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> futures = new ArrayList<>();
      futures.add(pool.submit(() -> box.send(new OutgoingSms(0, "0", "+14155550100", "first"))));
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> box.batches() == 1);
      for (int i = 1; i < 100; i++) {
        long id = i;
        futures.add(pool.submit(() -> box.send(new OutgoingSms(id, Long.toString(id), "+14155550100", "m" + id))));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    }
    assertThat(box.batches()).as("one append and one fsync for the 99 that waited").isEqualTo(2);
    assertThat(Files.readAllLines(file)).hasSize(100).allSatisfy(line -> JSON.readTree(line));
  }

  @Test
  void a_line_torn_by_a_crash_is_ended_before_the_next_one_is_written() throws Exception {
    Path file = dir.resolve("outbox.jsonl");
    Files.writeString(file, "{\"id\":\"outbox-1\",\"communication_id\":1,\"chan");
    new OutboxProvider(file).send(new OutgoingSms(2, "2", "+14155550100", "after the crash"));

    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(2);
    assertThat(JSON.readTree(lines.get(1)).get("body").asText()).isEqualTo("after the crash");
  }

  @Test
  void a_write_that_fails_fails_its_sends_as_retryable() throws Exception {
    Path notAFile = Files.createDirectories(dir.resolve("taken"));
    OutboxProvider box = new OutboxProvider(notAFile);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> box.send(new OutgoingSms(3, "3", "+14155550100", "x")))
        .isInstanceOf(io.mingus.comms.ProviderException.class)
        .hasMessageContaining("could not append communication 3 to the outbox")
        .matches(e -> ((io.mingus.comms.ProviderException) e).retryable());
  }

  @Test
  void the_environment_chooses_the_outbox_unless_real_providers_are_configured() {
    Path file = dir.resolve("box.jsonl");
    Providers outbox = Providers.fromEnvironment(Map.of("MINGUS_OUTBOX", file.toString()));
    assertThat(outbox.sms()).isInstanceOf(OutboxProvider.class);
    assertThat(outbox.email()).isSameAs(outbox.sms());
    assertThat(((OutboxProvider) outbox.sms()).file()).isEqualTo(file);

    Providers real = Providers.fromEnvironment(Map.of(
        "SMS_API_URL", "http://127.0.0.1:9/2010-04-01", "SMS_ACCOUNT_SID", "AC1", "SMS_AUTH_TOKEN", "secret-token",
        "SMS_FROM", "+15005550006", "SMTP_HOST", "127.0.0.1", "SMTP_FROM", "mingus@example.com"));
    assertThat(real.sms()).isInstanceOf(HttpSmsProvider.class);
    assertThat(real.email()).isInstanceOf(SmtpEmailProvider.class);
    assertThat(real.sms().toString()).doesNotContain("secret-token");
  }
}
