package io.mingus.comms;

import io.mingus.db.Database;
import io.mingus.tasks.Task;
import io.mingus.tasks.TaskQueue;
import java.time.InstantSource;
import java.util.List;

/**
 * The entry point of the communication service. Thread-safe; one per process.
 */
public final class CommunicationService {

  private CommunicationService() {}

  /** Hibernate entity classes to pass to {@code Database.builder(config).entities(...)}. */
  public static List<Class<?>> entities() {
    return List.of();
  }

  /** Applies the module's migrations; {@code TaskQueue.create(db)} must run too. */
  public static void migrate(Database db) {
    db.migrate("comms", "classpath:io/mingus/comms/migration");
  }

  /** A service on {@code db} with the system clock. */
  public static CommunicationService create(Database db, TaskQueue queue, Providers providers) {
    return create(db, queue, providers, InstantSource.system());
  }

  /** A service on {@code db} whose preference checks read {@code clock}. */
  public static CommunicationService create(Database db, TaskQueue queue, Providers providers,
      InstantSource clock) {
    throw new UnsupportedOperationException("not yet");
  }

  /** The send tasks, to register with a Worker. */
  public List<Task<?>> tasks() {
    throw new UnsupportedOperationException("not yet");
  }

  /** The guide's transaction manager on this service's database. */
  public CommunicationTransactions transactions() {
    throw new UnsupportedOperationException("not yet");
  }

  public User createUser(NewUser user) {
    throw new UnsupportedOperationException("not yet");
  }

  public User user(long id) {
    throw new UnsupportedOperationException("not yet");
  }

  public Preferences preferences(long userId) {
    throw new UnsupportedOperationException("not yet");
  }

  public Preferences updatePreferences(long userId, PreferencesUpdate update) {
    throw new UnsupportedOperationException("not yet");
  }

  public Engagement engagement(long userId) {
    throw new UnsupportedOperationException("not yet");
  }

  public Communication send(SendRequest request) {
    throw new UnsupportedOperationException("not yet");
  }

  public List<Communication> sendBatch(List<SendRequest> requests) {
    throw new UnsupportedOperationException("not yet");
  }

  public Communication communication(long id) {
    throw new UnsupportedOperationException("not yet");
  }

  public Page<Communication> communications(CommunicationQuery query) {
    throw new UnsupportedOperationException("not yet");
  }
}
