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
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default provider for both channels: appends every outgoing message as one JSON line to an
 * outbox file ({@code ./data/outbox.jsonl} by default), so a default start sends nothing real and
 * a developer can read what would have been sent. A DEBUG line per message, without the body.
 *
 * <p>A line: {@code {"id":"outbox-42","communication_id":42,"idempotency_key":"42",
 * "channel":"sms","to":"+1415...","subject":null,"body":"...","at":"2026-..."}}. A retried task
 * appends a second line with the same idempotency key; readers dedupe on it, as a real provider
 * would.
 *
 * <p>Durable, in batches (group commit). {@code send} returns only once its line is on disk
 * ({@code fsync}): a message acknowledged is never lost, whatever happens to the process or the
 * machine next. The lines of concurrent sends go together: the first caller to find no write
 * under way writes every line waiting, in one append and one {@code fsync}, while those arriving
 * meanwhile wait for the next batch; so a thousand sends in flight cost a few {@code fsync}s, not a
 * thousand. A write that fails fails every send of its batch (retryable: their tasks run again);
 * before the next write, a line left torn by it or by a crash is ended, so that each line stays
 * whole. Thread-safe; the file and its directory are created on first use.
 */
public final class OutboxProvider implements SmsProvider, EmailProvider {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxProvider.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One line waiting to be written; its fields are guarded by the provider's lock. */
  private static final class Line {
    final byte[] bytes;
    boolean done;
    IOException failure;

    Line(byte[] bytes) {
      this.bytes = bytes;
    }
  }

  private final Path file;
  private final InstantSource clock;
  private final Runnable beforeWrite;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition written = lock.newCondition();
  private final ArrayDeque<Line> waiting = new ArrayDeque<>();
  private boolean writing;
  private final java.util.concurrent.atomic.AtomicLong batches = new java.util.concurrent.atomic.AtomicLong();
  /** Whether the file may end with a torn line: at first, and after a failed write. Writer only. */
  private boolean checkTail = true;

  /** An outbox appending to {@code file}. */
  public OutboxProvider(Path file) {
    this(file, Clock.systemUTC());
  }

  /** An outbox appending to {@code file}, stamping lines with {@code clock}. */
  public OutboxProvider(Path file, InstantSource clock) {
    this(file, clock, () -> {});
  }

  /** With a hook the writer runs before each batch, outside the lock (tests hold a batch back with it). */
  OutboxProvider(Path file, InstantSource clock, Runnable beforeWrite) {
    this.file = Objects.requireNonNull(file, "file");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.beforeWrite = Objects.requireNonNull(beforeWrite, "beforeWrite");
  }

  /** How many lines wait for the next batch (a test signal). */
  int waiting() {
    lock.lock();
    try {
      return waiting.size();
    } finally {
      lock.unlock();
    }
  }

  /** How many batches were written (or failed) so far (a test signal). */
  long batches() {
    return batches.get();
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
    ObjectNode json = JSON.createObjectNode()
        .put("id", id)
        .put("communication_id", communicationId)
        .put("idempotency_key", key)
        .put("channel", channel)
        .put("to", to)
        .put("subject", subject)
        .put("body", body)
        .put("at", clock.instant().toString());
    Line line = new Line((json.toString() + "\n").getBytes(StandardCharsets.UTF_8));
    IOException failure = await(line);
    if (failure != null) {
      // A full disk or a read-only directory may clear up: let the task retry.
      throw new ProviderException("could not append communication " + communicationId + " to the outbox "
          + file.toAbsolutePath() + ": " + failure + "; check that the directory is writable (MINGUS_OUTBOX sets the"
          + " path)", true, failure);
    }
    LOG.debug("outbox: {} communication {} written to {}", channel, communicationId, file);
    return new SendResult(id);
  }

  /** Queues the line and returns once a batch holding it was written (null) or failed (its exception). */
  private IOException await(Line line) {
    lock.lock();
    try {
      waiting.add(line);
      while (!line.done) {
        if (writing) {
          written.awaitUninterruptibly();
          continue;
        }
        writing = true;
        List<Line> batch = new ArrayList<>(waiting);
        waiting.clear();
        IOException failure = null;
        lock.unlock();
        try {
          batches.incrementAndGet();
          beforeWrite.run();
          write(batch);
        } catch (IOException e) {
          failure = e;
        } catch (RuntimeException e) {
          failure = new IOException(e);
        } finally {
          lock.lock();
        }
        for (Line l : batch) {
          l.done = true;
          l.failure = failure;
        }
        writing = false;
        written.signalAll();
      }
      return line.failure;
    } finally {
      lock.unlock();
    }
  }

  /** Appends the lines with one write and forces them to disk; run by one thread at a time. */
  private void write(List<Line> batch) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    boolean created = !Files.exists(file);
    if (created && dir != null) {
      Files.createDirectories(dir);
    }
    boolean tornTail = checkTail && !created && endsTorn();
    checkTail = true;
    ByteBuffer[] buffers = new ByteBuffer[batch.size() + (tornTail ? 1 : 0)];
    int k = 0;
    if (tornTail) {
      buffers[k++] = ByteBuffer.wrap(new byte[] {'\n'});
    }
    for (Line l : batch) {
      buffers[k++] = ByteBuffer.wrap(l.bytes);
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND)) {
      long left = 0;
      for (ByteBuffer b : buffers) {
        left += b.remaining();
      }
      while (left > 0) {
        left -= ch.write(buffers);
      }
      ch.force(false);
    }
    if (created && dir != null) {
      forceDirectory(dir);
    }
    checkTail = false;
  }

  /** Whether the file's last byte is not a line end: a line was torn by a failed write or a crash. */
  private boolean endsTorn() throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size == 0) {
        return false;
      }
      ByteBuffer last = ByteBuffer.allocate(1);
      ch.read(last, size - 1);
      return last.get(0) != '\n';
    }
  }

  /** Makes the new file's directory entry durable too (Linux allows forcing a directory). */
  private static void forceDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Not every platform can open a directory; the file's own data is forced all the same.
      LOG.debug("could not force the directory {} of the outbox: {}", dir, e.toString());
    }
  }
}
