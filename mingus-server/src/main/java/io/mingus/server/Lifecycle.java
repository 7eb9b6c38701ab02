package io.mingus.server;

import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a long-running command ({@code serve}, {@code worker}) alive until SIGTERM or Ctrl-C, then
 * shuts it down gracefully from a shutdown hook.
 */
final class Lifecycle {
  private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);

  private Lifecycle() {}

  /** Blocks until the JVM is asked to stop; {@code shutdown} runs in the shutdown hook. */
  static void awaitShutdown(String what, Runnable shutdown) {
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("{}: shutting down", what);
      try {
        shutdown.run();
        LOG.info("{}: stopped", what);
      } catch (RuntimeException e) {
        LOG.error("{}: shutdown failed", what, e);
      } finally {
        done.countDown();
      }
    }, "mingus-shutdown"));
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
