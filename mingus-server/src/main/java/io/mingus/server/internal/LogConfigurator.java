package io.mingus.server.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.List;

/**
 * The runnable jar's logging, set up in code (found by logback through {@code
 * META-INF/services}): parsing an XML configuration cost a cold JVM a few hundred milliseconds of
 * its start. Everything goes to stderr, since stdout carries command output. The levels and the
 * format come from the system properties {@code Main} sets before the first log line: {@code
 * mingus.log.level} (Mingus's loggers), {@code mingus.log.root} (the rest; Hikari, Hibernate,
 * Flyway and Jetty stay at WARN) and {@code mingus.log.format}: {@code text}, whose lines show the
 * MDC's request id and task id, or {@code json}, one object per line by logback's own {@link
 * JsonEncoder}. An explicit {@code -Dlogback.configurationFile} wins, and so does a test class
 * path's {@code logback-test.xml} unless {@code -Dmingus.log.own=true}.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {
  static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{30}"
      + "%replace( request=%X{request_id}){' request=$', ''}%replace( task=%X{task_id}){' task=$', ''} - %msg%n";
  private static final List<String> CHATTY = List.of("com.zaxxer.hikari", "org.hibernate", "org.flywaydb",
      "org.eclipse.jetty");

  /** Called by logback's ServiceLoader. */
  public LogConfigurator() {}

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    boolean testClassPath = LogConfigurator.class.getClassLoader().getResource("logback-test.xml") != null;
    if (System.getProperty("logback.configurationFile") != null || (testClassPath && !Boolean.getBoolean("mingus.log.own"))) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(context);
    appender.setName("stderr");
    appender.setTarget("System.err");
    appender.setEncoder("json".equals(System.getProperty("mingus.log.format")) ? json(context) : text(context));
    appender.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(System.getProperty("mingus.log.root"), Level.INFO));
    root.addAppender(appender);
    context.getLogger("io.mingus").setLevel(Level.toLevel(System.getProperty("mingus.log.level"), Level.INFO));
    for (String name : CHATTY) {
      context.getLogger(name).setLevel(Level.WARN);
    }
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  private static Encoder<ILoggingEvent> text(LoggerContext context) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();
    return encoder;
  }

  private static Encoder<ILoggingEvent> json(LoggerContext context) {
    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(context);
    encoder.setWithSequenceNumber(false);
    encoder.setWithNanoseconds(false);
    encoder.setWithContext(false);
    encoder.setWithArguments(false);
    encoder.setWithMessage(false);
    encoder.setWithFormattedMessage(true);
    encoder.start();
    return encoder;
  }
}
