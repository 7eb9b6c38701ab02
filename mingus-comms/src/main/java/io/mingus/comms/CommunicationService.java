package io.mingus.comms;

import io.mingus.comms.internal.CommsMeters;
import io.mingus.comms.internal.CommunicationStore;
import io.mingus.comms.internal.Cursor;
import io.mingus.comms.internal.Delivery;
import io.mingus.comms.internal.EngagementEntity;
import io.mingus.comms.internal.EngagementStore;
import io.mingus.comms.internal.NewCommunication;
import io.mingus.comms.internal.PreferencesEntity;
import io.mingus.comms.internal.UserEntity;
import io.mingus.comms.internal.Validator;
import io.mingus.db.Database;
import io.mingus.db.DatabaseErrors;
import io.mingus.db.Dialect;
import io.mingus.db.ErrorKind;
import io.mingus.db.Session;
import io.mingus.db.RetryPolicy;
import io.mingus.db.TransactionOptions;
import io.mingus.tasks.Task;
import io.mingus.tasks.TaskOptions;
import io.mingus.tasks.TaskQueue;
import jakarta.persistence.LockModeType;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The entry point of the communication service: users and their preferences, sending, and the
 * record of every communication. Thread-safe; create one per process and share it.
 *
 * <pre>{@code
 * Database db = Database.builder(config).entities(CommunicationService.entities()).build();
 * TaskQueue queue = TaskQueue.create(db);
 * CommunicationService.migrate(db);
 * var comms = CommunicationService.create(db, queue, Providers.fromEnvironment(System.getenv()));
 * Worker worker = Worker.builder(db, queue).register(comms.tasks().toArray(Task[]::new))
 *     .queue(CommunicationService.QUEUE, 8).build();
 * worker.start();
 * long user = comms.createUser(new NewUser("ada@example.com", "+14155550123", "Europe/London")).id();
 * comms.send(new SendRequest(user, Channel.SMS, "Your code is 1234", null, "otp", "otp-ada-1"));
 * }</pre>
 *
 * <p>{@link #send} records the communication as {@code queued} and enqueues its send task in one
 * transaction (joining the caller's, if any): the task exists if and only if the record does. A
 * send task ({@link SendSmsTask}, {@link SendEmailTask}) then applies the user's preferences and
 * reserves the send in one short transaction, calls the provider holding no connection, and records
 * the outcome in another. Reads use the main pool, so a communication is visible
 * right after {@code send} returns. Holds no resources of its own: closing the {@link Database}
 * ends it.
 */
public final class CommunicationService {
  /** The task queue the send tasks run on; give a worker a share of it. */
  public static final String QUEUE = "comms";
  /** The most requests {@link #sendBatch} takes at once. */
  public static final int MAX_BATCH = 1_000;
  /** The most items of one page of {@link #communications}. */
  public static final int MAX_PAGE = 1_000;

  private final Database db;
  private final TaskQueue queue;
  private final InstantSource clock;
  private final CommunicationStore store;
  private final SendSmsTask smsTask;
  private final SendEmailTask emailTask;
  private final CommunicationTransactions transactions;
  private static final TransactionOptions SEND = TransactionOptions.named("comms.send").withRetry(RetryPolicy.defaults());
  /**
   * The fast send: its statements each commit on their own (an id draw, on the first try only, then
   * the communication with its task), so a retry reruns them safely.
   */
  private static final TransactionOptions SEND_FAST = SEND.withSingleStatement(true);

  private CommunicationService(Database db, TaskQueue queue, Providers providers, InstantSource clock) {
    this.db = Objects.requireNonNull(db, "db");
    this.queue = Objects.requireNonNull(queue, "queue");
    this.clock = Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(providers, "providers");
    this.store = new CommunicationStore(db);
    Delivery delivery = new Delivery(providers, clock, store, new CommsMeters(db.meterRegistry()));
    this.smsTask = new SendSmsTask(delivery);
    this.emailTask = new SendEmailTask(delivery);
    this.transactions = new CommunicationTransactions(db, store, clock);
  }

  /** Hibernate entity classes to pass to {@code Database.builder(config).entities(...)}. */
  public static List<Class<?>> entities() {
    return List.of(UserEntity.class, PreferencesEntity.class, EngagementEntity.class);
  }

  /**
   * Applies the module's migrations ({@code db.migrate("comms", ...)}); idempotent. {@code
   * TaskQueue.create(db)} applies the tasks module's.
   */
  public static void migrate(Database db) {
    db.migrate("comms", "classpath:io/mingus/comms/migration");
  }

  /** A service on {@code db} with the system clock. */
  public static CommunicationService create(Database db, TaskQueue queue, Providers providers) {
    return create(db, queue, providers, InstantSource.system());
  }

  /**
   * A service on {@code db} whose timestamps and preference checks (quiet hours, daily limit) read
   * {@code clock}; tests pass a settable one.
   */
  public static CommunicationService create(Database db, TaskQueue queue, Providers providers,
      InstantSource clock) {
    return new CommunicationService(db, queue, providers, clock);
  }

  /** The send tasks ({@link SendSmsTask}, {@link SendEmailTask}), to register with a Worker. */
  public List<Task<?>> tasks() {
    return List.of(smsTask, emailTask);
  }

  /** Named, logged and all-or-nothing transactions for recording communications on this service's database. */
  public CommunicationTransactions transactions() {
    return transactions;
  }

  /**
   * Creates a user with default preferences (both channels on, no quiet hours, daily limit 10) and
   * zero engagement. A {@code null} time zone means UTC.
   *
   * @throws ValidationException on a malformed field or an email address already taken
   */
  public User createUser(NewUser user) {
    throwIfAny("user", Validator.newUser(user));
    String zone = user.timezone() == null ? "UTC" : user.timezone();
    try {
      return db.fromTransaction(TransactionOptions.named("comms.create-user").withRetry(RetryPolicy.defaults()), s -> {
        var orm = s.orm();
        long taken = orm.createSelectionQuery("select count(u) from UserEntity u where u.emailKey = :key", Long.class)
            .setParameter("key", user.email().toLowerCase(Locale.ROOT)).getSingleResult();
        if (taken > 0) {
          throw emailTaken();
        }
        Instant now = now();
        UserEntity entity = new UserEntity(user.email(), user.phone(), zone, now);
        orm.persist(entity);
        orm.persist(new PreferencesEntity(entity.id(), now));
        orm.flush();
        EngagementStore.create(s, entity.id());
        return entity.toUser();
      });
    } catch (RuntimeException e) {
      // Two concurrent requests for one address: the unique constraint decides.
      if (!(e instanceof ValidationException) && DatabaseErrors.classify(e).kind() == ErrorKind.INTEGRITY
          && emailIndex(String.valueOf(DatabaseErrors.classify(e).message()).toUpperCase(Locale.ROOT))) {
        throw emailTaken();
      }
      throw e;
    }
  }

  private static boolean emailIndex(String message) {
    return message.contains("USERS_EMAIL_KEY") || message.contains("USERS_EMAIL_LOWER_KEY");
  }

  private static ValidationException emailTaken() {
    return new ValidationException("user", List.of(new FieldError("email",
        "is already taken by another user (addresses are compared ignoring case)")));
  }

  /**
   * The user with this id.
   *
   * @throws NotFoundException when there is none
   */
  public User user(long id) {
    return db.fromTransaction(readOnly("comms.user"), s -> {
      UserEntity u = s.orm().find(UserEntity.class, id);
      if (u == null) {
        throw new NotFoundException("user", id);
      }
      return u.toUser();
    });
  }

  /**
   * The user's preferences.
   *
   * @throws NotFoundException when the user does not exist
   */
  public Preferences preferences(long userId) {
    return db.fromTransaction(readOnly("comms.preferences"), s -> prefs(s, userId, false).toPreferences());
  }

  /**
   * Changes the given preferences of a user under a row lock, leaving the others as they are.
   *
   * @throws ValidationException on an out-of-range value or a half-given quiet-hours pair
   * @throws NotFoundException when the user does not exist
   */
  public Preferences updatePreferences(long userId, PreferencesUpdate update) {
    throwIfAny("preferences", Validator.update(update));
    return db.fromTransaction(TransactionOptions.named("comms.update-preferences").withRetry(RetryPolicy.defaults()),
        s -> {
      PreferencesEntity p = prefs(s, userId, true);
      if (update.smsEnabled() != null) {
        p.smsEnabled(update.smsEnabled());
      }
      if (update.emailEnabled() != null) {
        p.emailEnabled(update.emailEnabled());
      }
      if (update.clearQuietHours()) {
        p.quietHours(null, null);
      } else if (update.quietHoursStart() != null) {
        p.quietHours(update.quietHoursStart(), update.quietHoursEnd());
      }
      if (update.dailyLimit() != null) {
        p.dailyLimit(update.dailyLimit());
      }
      p.touch(now());
      s.orm().flush();
      return p.toPreferences();
    });
  }

  private static PreferencesEntity prefs(Session s, long userId, boolean lock) {
    PreferencesEntity p = lock
        ? s.orm().find(PreferencesEntity.class, userId, LockModeType.PESSIMISTIC_WRITE)
        : s.orm().find(PreferencesEntity.class, userId);
    if (p == null) {
      throw new NotFoundException("user", userId);
    }
    return p;
  }

  /**
   * The user's engagement counters.
   *
   * @throws NotFoundException when the user does not exist
   */
  public Engagement engagement(long userId) {
    return db.fromTransaction(readOnly("comms.engagement"), s -> {
      EngagementEntity e = s.orm().find(EngagementEntity.class, userId);
      if (e != null) {
        return e.toEngagement();
      }
      if (s.orm().find(UserEntity.class, userId) == null) {
        throw new NotFoundException("user", userId);
      }
      return new Engagement(userId, 0, 0, 0, null);
    });
  }

  /**
   * Engagement over every user, read on the analytics pool (a replica when one is configured):
   * one aggregate over the engagement table, so call it now and then (a dashboard every few
   * seconds), not per request.
   */
  public EngagementSummary engagementSummary() {
    Instant dayAgo = now().minus(1, ChronoUnit.DAYS);
    return db.fromTransaction(TransactionOptions.analytics("comms.engagement-summary"), s -> s.queryOne(
        "SELECT COUNT(*), COALESCE(SUM(total_communications), 0), COALESCE(SUM(sms_count), 0),"
            + " COALESCE(SUM(email_count), 0), COUNT(CASE WHEN last_activity >= ? THEN 1 END)"
            + " FROM user_engagement_metrics",
        rs -> new EngagementSummary(rs.getLong(1), rs.getLong(5), rs.getLong(2), rs.getLong(3), rs.getLong(4)),
        dayAgo.atOffset(java.time.ZoneOffset.UTC)).orElseThrow());
  }

  /**
   * Validates the request, then in one transaction records a {@code queued} communication and
   * enqueues its send task. A request whose idempotency key was seen before returns that first
   * communication and sends nothing, also when repeated concurrently. When the connection broke
   * while the communication was being written (its outcome unknown: a database restart, a
   * terminated backend), the send is run once more, which is safe: on PostgreSQL with the same
   * communication id (drawn before the first try), which the database lets exist only once, and
   * elsewhere, for a request with an idempotency key, with that key; it returns the communication
   * if the first write happened and records it if not. Otherwise (H2 without a key, or a second
   * break) the commit-unknown failure reaches the caller.
   *
   * @throws ValidationException listing every offending field (also an unknown user, or one with no
   *     phone for SMS); nothing is written
   */
  public Communication send(SendRequest request) {
    throwIfAny("send request", Validator.send(request, ""));
    try {
      return sendOnce(request);
    } catch (RuntimeException e) {
      if (request.idempotencyKey() == null || DatabaseErrors.classify(e).kind() != ErrorKind.COMMIT_UNKNOWN) {
        throw e;
      }
      return sendOnce(request);
    }
  }

  private Communication sendOnce(SendRequest request) {
    if (db.dialect() == Dialect.POSTGRESQL) {
      Communication sent = sendFast(newRow(request));
      if (sent != null) {
        return sent;
      }
      // turned down, having written nothing: the checked path says why, or finds the first communication
    }
    return db.fromTransaction(SEND, s -> sendChecked(s, request));
  }

  /**
   * The one-statement send ({@link #insertFast}), tried once more with the same communication id
   * when its outcome is unknown; null when it was turned down.
   */
  private Communication sendFast(NewCommunication row) {
    long[] id = {0};
    try {
      return db.fromTransaction(SEND_FAST, s -> insertFast(s, row, id));
    } catch (RuntimeException e) {
      if (id[0] == 0 || DatabaseErrors.classify(e).kind() != ErrorKind.COMMIT_UNKNOWN) {
        throw e;
      }
    }
    // The statement may or may not have committed. Run it again with the same id: it writes the
    // communication if the first did not, or (the first committed, or commits while this waits for
    // it on the primary key) writes nothing, and then the id finds the first one.
    Communication sent = db.fromTransaction(SEND_FAST, s -> insertFast(s, row, id));
    return sent != null ? sent : db.fromTransaction(SEND, s -> store.find(s, id[0])).orElse(null);
  }

  /**
   * A send in one round trip (PostgreSQL; one more per {@value CommunicationStore#ID_BLOCK} sends to
   * draw ids): one statement, run in auto-commit, inserts the communication with an id drawn ahead
   * ({@link CommunicationStore#nextId}; kept in {@code id} for another try of the same send) and,
   * only if it did, its send task ({@link TaskQueue#enqueueWithRow}); the insert checks the
   * recipient and skips a taken idempotency key or id. Null when it inserted nothing (a bad
   * recipient, a key taken, also by a concurrent request, whose end the insert waited for, or the
   * id already written by an earlier try): nothing was written. Returning rather than throwing
   * keeps a caller's transaction that this send joined usable.
   */
  private Communication insertFast(Session s, NewCommunication row, long[] id) {
    if (id[0] == 0) {
      id[0] = store.nextId(s);
    }
    OptionalLong taskId = queue.enqueueWithRow(s, CommunicationStore.INSERT_QUEUED,
        CommunicationStore.queuedParams(row, id[0]), task(row.channel()), new SendPayload(id[0]),
        TaskOptions.defaults().withQueue(QUEUE).withUniqueKey("comm:" + id[0]));
    return taskId.isPresent() ? BatchSend.queued(row, id[0], taskId.getAsLong()) : null;
  }

  /**
   * The send with each check a statement of its own: on H2, and for the requests the fast path
   * turned down (it says why, or returns the communication that holds the key).
   */
  private Communication sendChecked(Session s, SendRequest request) {
    throwIfAny("send request", recipientErrors(s, request, ""));
    NewCommunication wanted = newRow(request);
    CommunicationStore.Inserted row = store.insert(s, wanted);
    if (!row.created()) {
      requireSameRequest("idempotency_key", wanted, row.communication());
      return row.communication();
    }
    Communication c = row.communication();
    long taskId = queue.enqueue(s, task(c.channel()), new SendPayload(c.id()),
        TaskOptions.defaults().withQueue(QUEUE).withUniqueKey("comm:" + c.id()));
    store.setTask(s, c.id(), taskId);
    return withTask(c, taskId);
  }

  /**
   * Sends up to {@value #MAX_BATCH} requests all or nothing: every request is validated first (a
   * bad one fails the whole batch, naming {@code requests[i].field}); then one transaction inserts
   * the rows with one JDBC batch and enqueues their tasks. Requests whose idempotency key was seen
   * before (or earlier in the same batch) return that communication.
   *
   * @return the communications in request order
   */
  public List<Communication> sendBatch(List<SendRequest> requests) {
    return new BatchSend(db, queue, store, this::task, this::newRow).send(requests);
  }

  /**
   * The communication with this id.
   *
   * @throws NotFoundException when there is none
   */
  public Communication communication(long id) {
    return db.fromTransaction(readOnly("comms.communication"), s -> {
      return store.find(s, id).orElseThrow(() -> new NotFoundException("communication", id));
    });
  }

  /**
   * A page of communications, newest first, filtered by user, status and channel; pass the page's
   * {@link Page#nextCursor()} to get the next. Keyset paging: pages stay fast and stable while new
   * communications arrive.
   *
   * @throws ValidationException on a limit outside 1..{@value #MAX_PAGE} or a malformed cursor
   */
  public Page<Communication> communications(CommunicationQuery query) {
    Objects.requireNonNull(query, "query");
    List<FieldError> errors = new ArrayList<>();
    if (query.limit() < 1 || query.limit() > MAX_PAGE) {
      errors.add(new FieldError("limit", "must be between 1 and " + MAX_PAGE + ", was " + query.limit()));
    }
    Long before = null;
    if (query.cursor() != null) {
      try {
        before = Cursor.decode(query.cursor());
      } catch (IllegalArgumentException e) {
        errors.add(new FieldError("cursor", "is not a cursor returned by a previous page"));
      }
    }
    throwIfAny("communications query", errors);
    Long after = before;
    return db.fromTransaction(readOnly("comms.communications"), s -> store.page(s, query, after));
  }

  Task<SendPayload> task(Channel channel) {
    return switch (channel) {
      case SMS -> smsTask;
      case EMAIL -> emailTask;
    };
  }

  NewCommunication newRow(SendRequest r) {
    return new NewCommunication(r.userId(), r.channel(), r.messageType() == null ? "general" : r.messageType(),
        r.channel() == Channel.EMAIL ? r.subject() : null, r.message(), r.idempotencyKey(),
        CommunicationStatus.QUEUED, now());
  }

  /** Now, at the microsecond precision both databases store. */
  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MICROS);
  }

  static Communication withTask(Communication c, long taskId) {
    return new Communication(c.id(), c.userId(), c.channel(), c.messageType(), c.status(), c.provider(),
        c.providerMessageId(), c.error(), c.idempotencyKey(), c.createdAt(), c.sentAt(), c.subject(), c.message(),
        taskId);
  }

  /** Whether the recipient exists and has an address for the channel. */
  static List<FieldError> recipientErrors(Session s, SendRequest r, String prefix) {
    var contact = s.queryOne("SELECT email, phone FROM users WHERE id = ?",
        rs -> new String[] {rs.getString(1), rs.getString(2)}, r.userId());
    if (contact.isEmpty()) {
      return List.of(new FieldError(prefix + "user_id", "user " + r.userId() + " does not exist"));
    }
    if (r.channel() == Channel.SMS && contact.get()[1] == null) {
      return List.of(new FieldError(prefix + "channel", "user " + r.userId() + " has no phone number for sms"));
    }
    return List.of();
  }

  /** A key reused for a different request is refused: the first request's row is not the caller's. */
  static void requireSameRequest(String field, NewCommunication wanted, Communication first) {
    List<String> differences = wanted.differencesFrom(first);
    if (!differences.isEmpty()) {
      throw new IdempotencyKeyReusedException(field, differences);
    }
  }

  static void throwIfAny(String what, List<FieldError> errors) {
    if (!errors.isEmpty()) {
      throw new ValidationException(what, errors);
    }
  }

  /** Reads are retried: a read-only transaction is safe to run again, even when its commit broke. */
  private static TransactionOptions readOnly(String name) {
    return TransactionOptions.named(name).withReadOnly(true).withRetry(RetryPolicy.defaults());
  }
}
