package io.mingus.tasks;

import io.mingus.db.Database;
import io.mingus.db.RetryPolicy;
import java.time.Duration;
import java.time.InstantSource;
import java.util.function.Supplier;

/** Runs tasks. */
public final class Worker implements AutoCloseable {
  private Worker() {}

  /** A builder. */
  public static Builder builder(Database db, TaskQueue queue) {
    return new Builder();
  }

  /** Starts. */
  public void start() {
    throw new UnsupportedOperationException("not yet");
  }

  /** Stops gracefully. */
  @Override
  public void close() {
    throw new UnsupportedOperationException("not yet");
  }

  /** The worker id. */
  public String id() {
    throw new UnsupportedOperationException("not yet");
  }

  /** Builds a worker. */
  public static final class Builder {
    private Builder() {}

    /** Registers tasks. */
    public Builder register(Task<?>... tasks) {
      return this;
    }

    /** A queue served with this concurrency. */
    public Builder queue(String name, int concurrency) {
      return this;
    }

    /** Poll interval. */
    public Builder pollInterval(Duration d) {
      return this;
    }

    /** Heartbeat interval. */
    public Builder heartbeatInterval(Duration d) {
      return this;
    }

    /** Rescue after. */
    public Builder rescueAfter(Duration d) {
      return this;
    }

    /** Shutdown timeout. */
    public Builder shutdownTimeout(Duration d) {
      return this;
    }

    /** Retry policy. */
    public Builder retryPolicy(RetryPolicy p) {
      return this;
    }

    /** Rate limit. */
    public Builder rateLimit(String taskName, double perSecond) {
      return this;
    }

    /** A schedule. */
    public <P> Builder schedule(String scheduleName, String cron, Task<P> task, Supplier<P> payload) {
      return this;
    }

    /** Clock. */
    public Builder clock(InstantSource clock) {
      return this;
    }

    /** Worker id. */
    public Builder id(String workerId) {
      return this;
    }

    /** Builds. */
    public Worker build() {
      throw new UnsupportedOperationException("not yet");
    }
  }
}
