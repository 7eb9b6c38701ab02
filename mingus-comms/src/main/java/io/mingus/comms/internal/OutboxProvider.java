package io.mingus.comms.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mingus.comms.EmailProvider;
import io.mingus.comms.OutgoingEmail;
import io.mingus.comms.OutgoingSms;
import io.mingus.comms.ProviderException;
import io.mingus.comms.SendResult;
import io.mingus.comms.SmsProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default provider for both channels: appends every outgoing message as one JSON line to an
 * outbox file ({@code ./data/outbox.jsonl} by default) and logs one INFO line without the body, so
 * a default start sends nothing real and a developer can read what would have been sent.
 *
 * <p>A line: {@code {"id":"outbox-42","communication_id":42,"idempotency_key":"42",
 * "channel":"sms","to":"+1415...","subject":null,"body":"...","at":"2026-..."}}. A retried task
 * appends a second line with the same idempotency key; readers dedupe on it, as a real provider
 * would. Thread-safe: appends are serialised by a lock (and each line is written with one call), so
 * lines never interleave; the file and its directory are created on first use.
 */
public final class OutboxProvider implements SmsProvider, EmailProvider {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxProvider.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final InstantSource clock;
  private final ReentrantLock lock = new ReentrantLock();

  /** An outbox appending to {@code file}. */
  public OutboxProvider(Path file) {
    this(file, Clock.systemUTC());
  }

  /** An outbox appending to {@code file}, stamping lines with {@code clock}. */
  public OutboxProvider(Path file, InstantSource clock) {
    this.file = Objects.requireNonNull(file, "file");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** The file this outbox appends to. */
  public Path file() {
    return file;
  }

  @Override
  public String name() {
    return "outbox";
  }

  @Override
  public SendResult send(OutgoingSms sms) {
    return append(sms.communicationId(), sms.idempotencyKey(), "sms", sms.to(), null, sms.body());
  }

  @Override
  public SendResult send(OutgoingEmail email) {
    return append(email.communicationId(), email.idempotencyKey(), "email", email.to(), email.subject(),
        email.body());
  }

  private SendResult append(long communicationId, String key, String channel, String to, String subject,
      String body) {
    String id = "outbox-" + communicationId;
    ObjectNode line = JSON.createObjectNode()
        .put("id", id)
        .put("communication_id", communicationId)
        .put("idempotency_key", key)
        .put("channel", channel)
        .put("to", to)
        .put("subject", subject)
        .put("body", body)
        .put("at", clock.instant().toString());
    byte[] bytes = (line.toString() + "\n").getBytes(StandardCharsets.UTF_8);
    lock.lock();
    try {
      Path dir = file.toAbsolutePath().getParent();
      if (dir != null) {
        Files.createDirectories(dir);
      }
      Files.write(file, bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    } catch (IOException e) {
      // A full disk or a read-only directory may clear up: let the task retry.
      throw new ProviderException("could not append communication " + communicationId + " to the outbox "
          + file.toAbsolutePath() + ": " + e + "; check that the directory is writable (MINGUS_OUTBOX sets the path)",
          true, e);
    } finally {
      lock.unlock();
    }
    LOG.info("outbox: {} communication {} to {} written to {}", channel, communicationId, to, file);
    return new SendResult(id);
  }
}
