package io.mingus.db;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Captures the log events of some loggers (and their children) while open, at the given level,
 * and restores their levels on close. Thread-safe reads through {@link #events()}.
 */
public final class LogCapture implements AutoCloseable {
  private final List<Logger> loggers = new ArrayList<>();
  private final List<Level> previous = new ArrayList<>();
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private final Logger attachedTo;

  private LogCapture(Level level, String attachTo, String... names) {
    appender.start();
    for (String name : names) {
      Logger logger = (Logger) LoggerFactory.getLogger(name);
      loggers.add(logger);
      previous.add(logger.getLevel());
      logger.setLevel(level);
    }
    attachedTo = (Logger) LoggerFactory.getLogger(attachTo);
    attachedTo.addAppender(appender);
  }

  /** Captures this logger (and its children) at {@code level}. */
  public static LogCapture of(Level level, String name) {
    return new LogCapture(level, name, name);
  }

  /** Captures every logger, Mingus's, Hikari's, Hibernate's and Flyway's at {@code level}. */
  public static LogCapture all(Level level) {
    return new LogCapture(level, org.slf4j.Logger.ROOT_LOGGER_NAME, org.slf4j.Logger.ROOT_LOGGER_NAME, "io.mingus",
        "com.zaxxer.hikari", "org.hibernate", "org.flywaydb");
  }

  /** A copy of the events captured so far. */
  public List<ILoggingEvent> events() {
    synchronized (appender) {
      return List.copyOf(appender.list);
    }
  }

  /** The formatted messages of the events at {@code level} or above. */
  public List<String> messages(Level level) {
    return events().stream().filter(e -> e.getLevel().isGreaterOrEqual(level))
        .map(ILoggingEvent::getFormattedMessage).toList();
  }

  /** Everything an event puts in a log: its message and its throwable's messages and stack frames. */
  public static String fullText(ILoggingEvent e) {
    StringBuilder sb = new StringBuilder(e.getFormattedMessage());
    for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
      appendThrowable(sb, t);
      for (IThrowableProxy s : t.getSuppressed()) {
        appendThrowable(sb, s);
      }
    }
    return sb.toString();
  }

  private static void appendThrowable(StringBuilder sb, IThrowableProxy t) {
    sb.append('\n').append(t.getClassName()).append(": ").append(t.getMessage());
    for (StackTraceElementProxy f : t.getStackTraceElementProxyArray()) {
      sb.append("\n\tat ").append(f.getSTEAsString());
    }
  }

  /** All captured text, one event after another. */
  public String allText() {
    StringBuilder sb = new StringBuilder();
    for (ILoggingEvent e : events()) {
      sb.append(fullText(e)).append('\n');
    }
    return sb.toString();
  }

  @Override
  public void close() {
    attachedTo.detachAppender(appender);
    for (int i = 0; i < loggers.size(); i++) {
      loggers.get(i).setLevel(previous.get(i));
    }
    appender.stop();
  }
}
