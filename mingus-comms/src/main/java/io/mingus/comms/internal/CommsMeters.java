package io.mingus.comms.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.mingus.comms.Channel;
import io.mingus.comms.CommunicationStatus;
import io.mingus.db.Session;
import java.util.EnumMap;
import java.util.Map;

/**
 * The communication service's meters: {@code mingus.comms.outcomes{channel,status}}, the
 * communications the send tasks ended sent, suppressed or failed. Counted after the task's
 * transaction commits, so an attempt that rolls back (and runs again) is not counted twice.
 * Thread-safe; the counters are registered once, at construction.
 */
public final class CommsMeters {
  /** The counter's name, as dashboards look it up. */
  public static final String OUTCOMES = "mingus.comms.outcomes";

  private final Map<Channel, Map<CommunicationStatus, Counter>> counters = new EnumMap<>(Channel.class);

  public CommsMeters(MeterRegistry registry) {
    for (Channel channel : Channel.values()) {
      Map<CommunicationStatus, Counter> byStatus = new EnumMap<>(CommunicationStatus.class);
      for (CommunicationStatus status : new CommunicationStatus[] {
          CommunicationStatus.SENT, CommunicationStatus.SUPPRESSED, CommunicationStatus.FAILED}) {
        byStatus.put(status, Counter.builder(OUTCOMES)
            .description("communications ended by the send tasks, by channel and status")
            .tags("channel", channel.label(), "status", status.label())
            .register(registry));
      }
      counters.put(channel, byStatus);
    }
  }

  /** Counts one communication ending with {@code status} once {@code s}'s transaction commits. */
  public void ended(Session s, Channel channel, CommunicationStatus status) {
    Counter counter = counters.get(channel).get(status);
    if (counter != null) {
      s.afterCommit(counter::increment);
    }
  }
}
