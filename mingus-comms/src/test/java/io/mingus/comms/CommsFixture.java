package io.mingus.comms;

import io.mingus.comms.internal.OutboxProvider;
import io.mingus.db.Database;
import io.mingus.db.DatabaseConfig;
import io.mingus.db.PoolName;
import io.mingus.db.RetryPolicy;
import io.mingus.db.TestDb;
import io.mingus.db.TestEngine;
import io.mingus.tasks.Task;
import io.mingus.tasks.TaskQueue;
import io.mingus.tasks.Worker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A database of its own (H2 or PostgreSQL) with both modules migrated, a service on a settable
 * clock, an outbox in a temporary directory, and on demand a real worker with short intervals.
 */
final class CommsFixture implements AutoCloseable {
  /** A Monday, 12:00 UTC: inside no quiet hours of the tests unless they set them. */
  static final Instant NOON_UTC = Instant.parse("2026-03-02T12:00:00Z");

  final TestDb testDb;
  final Database db;
  final TaskQueue queue;
  final MutableClock clock = new MutableClock(NOON_UTC);
  final Path outbox;
  final CommunicationService comms;
  private final List<Worker> workers = new java.util.ArrayList<>();

  CommsFixture(TestEngine engine) {
    this(engine, UnaryOperator.identity());
  }

  /** With the SMS provider {@code sms} wraps (it receives the outbox). */
  CommsFixture(TestEngine engine, UnaryOperator<SmsProvider> sms) {
    this(engine, sms, UnaryOperator.identity());
  }

  /** With the SMS provider {@code sms} wraps and the database configuration {@code config} changes. */
  CommsFixture(TestEngine engine, UnaryOperator<SmsProvider> sms, UnaryOperator<DatabaseConfig.Builder> config) {
    try {
      outbox = Files.createTempDirectory("mingus-outbox").resolve("outbox.jsonl");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // A worker running 4 tasks needs 4 connections plus some for claims and outcomes.
    testDb = TestDb.open(engine, c -> config.apply(c.poolSize(PoolName.WORKER, 6, 0)),
        b -> b.entities(CommunicationService.entities()));
    db = testDb.db();
    queue = TaskQueue.create(db);
    CommunicationService.migrate(db);
    OutboxProvider box = new OutboxProvider(outbox, clock);
    comms = CommunicationService.create(db, queue, new Providers(sms.apply(box), box), clock);
  }

  /** Starts a worker on the comms queue: polls every 50 ms, retries after 10-50 ms. */
  Worker startWorker() {
    return startWorker(b -> b);
  }

  /** Starts a worker as {@link #startWorker()} with {@code tweak}'s changes (concurrency 4 unless it sets one). */
  Worker startWorker(UnaryOperator<Worker.Builder> tweak) {
    Worker.Builder b = Worker.builder(db, queue)
        .register(comms.tasks().toArray(Task<?>[]::new))
        .queue(CommunicationService.QUEUE, 4)
        .pollInterval(Duration.ofMillis(50))
        .retryPolicy(RetryPolicy.of(5, Duration.ofMillis(10)).withMaxAttempts(5))
        .shutdownTimeout(Duration.ofSeconds(10));
    Worker worker = tweak.apply(b).build();
    workers.add(worker);
    worker.start();
    return worker;
  }

  User user(String email) {
    return comms.createUser(new NewUser(email, "+14155550100", "UTC"));
  }

  User user(String email, String zone) {
    return comms.createUser(new NewUser(email, "+14155550100", zone));
  }

  static SendRequest sms(long user, String text) {
    return new SendRequest(user, Channel.SMS, text, null, "reminder", null);
  }

  List<String> outboxLines() {
    try {
      return Files.exists(outbox) ? Files.readAllLines(outbox) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A single number from SQL run outside every pool. */
  long count(String sql) {
    try (Connection c = testDb.rawConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(sql, e);
    }
  }

  /** A single value from SQL run outside every pool, as a string. */
  String text(String sql) {
    try (Connection c = testDb.rawConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    } catch (SQLException e) {
      throw new IllegalStateException(sql, e);
    }
  }

  @Override
  public void close() {
    try {
      workers.forEach(Worker::close);
    } finally {
      testDb.close();
    }
  }
}
