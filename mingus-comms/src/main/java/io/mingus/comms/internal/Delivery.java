package io.mingus.comms.internal;

import io.mingus.comms.Channel;
import io.mingus.comms.CommunicationStatus;
import io.mingus.comms.OutgoingEmail;
import io.mingus.comms.OutgoingSms;
import io.mingus.comms.ProviderException;
import io.mingus.comms.Providers;
import io.mingus.comms.SendResult;
import io.mingus.comms.internal.CommunicationStore.Delivered;
import io.mingus.comms.internal.CommunicationStore.Reserved;
import io.mingus.comms.internal.CommunicationStore.Sendable;
import io.mingus.db.Session;
import io.mingus.tasks.FailureKind;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a send task does, in three phases, for many communications at once (see the module README,
 * "How a message travels"):
 *
 * <ol>
 *   <li>{@link #reserve}, in a short transaction: lock the communications, apply {@link
 *       PreferenceRules} (opted out, quiet hours in the user's zone), take a slot of the user's daily
 *       limit ({@link DailyCounts}), and mark each {@code sending} with the day it counts on, or
 *       {@code suppressed} with the reason. A communication already {@code sending} and counted
 *       today (its worker stopped mid-call, or the provider was down) keeps its slot: it is not
 *       counted twice. One already sent, failed or suppressed is left alone.
 *   <li>{@link #call}, holding no connection: the provider, with the communication id as
 *       idempotency key. A retryable failure (timeout, 5xx) is thrown so that the worker retries the
 *       task with backoff, the communication staying {@code sending}; on the last attempt, and for a
 *       permanent failure (4xx), it becomes the outcome {@code failed}.
 *   <li>{@link #record}, in the transaction that completes the tasks: {@code sent} with the
 *       provider's id and time, the engagement counters and last_*_sent; or {@code failed}, its slot
 *       of the daily limit given back.
 * </ol>
 *
 * <p>Per message: a DEBUG line and the counter {@code mingus.comms.outcomes{channel,status}} (counted
 * after commit); a WARN line only for a failure. Thread-safe: holds the providers, the clock and
 * the meters.
 */
public final class Delivery {
  private static final Logger LOG = LoggerFactory.getLogger(Delivery.class);

  /** One communication reserved for sending: what the call needs. */
  public record Reservation(long communicationId, long userId, Channel channel, String to, String subject,
      String message, LocalDate countedDay) {}

  /** What the provider made of it: {@code sent} (provider id, time) or {@code failed} (reason). */
  public record Outcome(CommunicationStatus status, String provider, String providerMessageId, Instant sentAt,
      String error) {}

  /** A reservation and its outcome, to record. */
  public record Result(Reservation reservation, Outcome outcome) {}

  private final Providers providers;
  private final InstantSource clock;
  private final CommunicationStore store;
  private final CommsMeters meters;

  /** Delivers through {@code providers}, recording through {@code store}, by {@code clock}; counts on {@code meters}. */
  public Delivery(Providers providers, InstantSource clock, CommunicationStore store, CommsMeters meters) {
    this.providers = providers;
    this.clock = clock;
    this.store = store;
    this.meters = meters;
  }

  /**
   * Phase 1 for communications {@code ids}, in {@code s}: one reservation per id, in order, or
   * null where there is nothing to send (no such communication, an outcome already, or suppressed
   * now).
   */
  public List<Reservation> reserve(Session s, List<Long> ids) {
    Instant now = clock.instant();
    Map<Long, Sendable> rows = store.lockForSend(s, ids);
    Map<Long, Reservation> reserved = new HashMap<>();
    Map<Long, List<Sendable>> needSlot = new LinkedHashMap<>();
    List<Reserved> writes = new ArrayList<>();
    List<DailyCounts.Release> releases = new ArrayList<>();
    for (long id : ids) {
      Sendable c = rows.get(id);
      if (c == null) {
        LOG.warn("communication {} does not exist: nothing to send", id);
        continue;
      }
      if (c.status().isFinal()) {
        LOG.debug("communication {} is {} already: nothing to send", id, c.status().label());
        continue;
      }
      LocalDate today = now.atZone(c.zone()).toLocalDate();
      Optional<String> reason = c.rules().forbids(c.channel(), now, c.zone());
      if (reason.isEmpty() && c.status() == CommunicationStatus.SENDING && today.equals(c.countedDay())) {
        reserved.put(id, reservation(c, today));
        continue;
      }
      if (c.countedDay() != null) {
        releases.add(new DailyCounts.Release(c.userId(), c.countedDay(), 1));
      }
      if (reason.isPresent()) {
        writes.add(suppress(s, c, reason.get()));
      } else {
        needSlot.computeIfAbsent(c.userId(), u -> new ArrayList<>()).add(c);
      }
    }
    // given back first: a slot of today freed by a suppression may be taken again in this batch
    DailyCounts.release(s, releases);
    List<DailyCounts.Want> wants = new ArrayList<>();
    for (List<Sendable> cs : needSlot.values()) {
      Sendable c = cs.getFirst();
      LocalDate today = now.atZone(c.zone()).toLocalDate();
      wants.add(new DailyCounts.Want(c.userId(), today, today.atStartOfDay(c.zone()).toInstant(), cs.size(),
          c.rules().dailyLimit()));
    }
    Map<Long, DailyCounts.Grant> grants = DailyCounts.reserve(s, wants, since -> store.sentSince(s, since));
    for (List<Sendable> cs : needSlot.values()) {
      DailyCounts.Grant g = grants.get(cs.getFirst().userId());
      for (int k = 0; k < cs.size(); k++) {
        Sendable c = cs.get(k);
        if (k < g.granted()) {
          Reservation r = reservation(c, now.atZone(c.zone()).toLocalDate());
          reserved.put(c.id(), r);
          writes.add(new Reserved(c.id(), CommunicationStatus.SENDING, r.countedDay(), null));
        } else {
          writes.add(suppress(s, c, "daily limit: " + g.sendsAfter() + " sent today, the limit is "
              + c.rules().dailyLimit()));
        }
      }
    }
    store.markReserved(s, writes);
    List<Reservation> out = new ArrayList<>(ids.size());
    for (long id : ids) {
      out.add(reserved.get(id));
    }
    return out;
  }

  private Reserved suppress(Session s, Sendable c, String reason) {
    LOG.debug("communication {} suppressed: {}", c.id(), reason);
    meters.ended(s, c.channel(), CommunicationStatus.SUPPRESSED);
    return new Reserved(c.id(), CommunicationStatus.SUPPRESSED, null, reason);
  }

  private static Reservation reservation(Sendable c, LocalDate day) {
    String to = c.channel() == Channel.SMS ? c.phone() : c.email();
    return new Reservation(c.id(), c.userId(), c.channel(), to, c.subject(), c.message(), day);
  }

  /**
   * Phase 2, holding no connection: calls the channel's provider with the communication id as
   * idempotency key.
   *
   * @param lastAttempt whether a retryable failure must become the outcome instead of a retry
   * @throws ProviderException a retryable provider failure when not the last attempt
   */
  public Outcome call(Reservation r, boolean lastAttempt) {
    String provider = r.channel() == Channel.SMS ? providers.sms().name() : providers.email().name();
    SendResult result;
    try {
      result = send(r);
    } catch (ProviderException e) {
      if (e.retryable() && !lastAttempt) {
        // The worker logs the failed attempt and its next run.
        LOG.debug("provider {} could not send communication {} (will retry): {}", provider, r.communicationId(),
            e.getMessage());
        throw e;
      }
      LOG.warn("communication {} failed at provider {}: {}", r.communicationId(), provider, e.getMessage());
      String error = (e.retryable() ? "provider unavailable, attempts exhausted: " : "provider refused: ")
          + e.getMessage();
      return new Outcome(CommunicationStatus.FAILED, provider, null, null, error);
    }
    Instant sentAt = clock.instant().truncatedTo(ChronoUnit.MICROS);
    LOG.debug("communication {} sent by {} as {}", r.communicationId(), provider, result.providerMessageId());
    return new Outcome(CommunicationStatus.SENT, provider, result.providerMessageId(), sentAt, null);
  }

  private SendResult send(Reservation r) {
    String key = Long.toString(r.communicationId());
    try {
      return switch (r.channel()) {
        case SMS -> {
          if (r.to() == null) {
            throw new ProviderException("user " + r.userId() + " has no phone number", false);
          }
          yield providers.sms().send(new OutgoingSms(r.communicationId(), key, r.to(), r.message()));
        }
        case EMAIL -> providers.email().send(new OutgoingEmail(r.communicationId(), key, r.to(), r.subject(),
            r.message()));
      };
    } catch (ProviderException e) {
      throw e;
    } catch (RuntimeException e) {
      // A provider bug or an unexpected failure: retried like an outage, then recorded as failed.
      throw new ProviderException("provider threw " + e.getClass().getName() + ": " + e.getMessage(), true, e);
    }
  }

  /**
   * Phase 3, in the transaction that completes the tasks: writes each outcome to its communication
   * (if still {@code sending}), then for the sent ones the engagement counters and last_*_sent, for
   * the failed ones their slot of the daily limit back; users' rows in user-id order.
   */
  public void record(Session s, List<Result> results) {
    List<Delivered> rows = new ArrayList<>(results.size());
    for (Result r : results) {
      Outcome o = r.outcome();
      rows.add(new Delivered(r.reservation().communicationId(), o.status(), o.provider(), o.providerMessageId(),
          o.sentAt(), o.error()));
    }
    Set<Long> changed = store.markDelivered(s, rows);
    Map<Long, EngagementStore.Sends> engagement = new HashMap<>();
    Map<Long, PreferencesStore.LastSent> last = new HashMap<>();
    List<DailyCounts.Release> releases = new ArrayList<>();
    for (Result r : results) {
      Reservation v = r.reservation();
      Outcome o = r.outcome();
      if (!changed.contains(v.communicationId())) {
        continue;
      }
      meters.ended(s, v.channel(), o.status());
      if (o.status() != CommunicationStatus.SENT) {
        if (v.countedDay() != null) {
          releases.add(new DailyCounts.Release(v.userId(), v.countedDay(), 1));
        }
        continue;
      }
      boolean sms = v.channel() == Channel.SMS;
      engagement.merge(v.userId(), new EngagementStore.Sends(v.userId(), sms ? 1 : 0, sms ? 0 : 1, o.sentAt()),
          (a, b) -> new EngagementStore.Sends(a.userId(), a.sms() + b.sms(), a.email() + b.email(),
              later(a.at(), b.at())));
      last.merge(v.userId(), new PreferencesStore.LastSent(v.userId(), sms ? o.sentAt() : null,
          sms ? null : o.sentAt()), (a, b) -> new PreferencesStore.LastSent(a.userId(), later(a.sms(), b.sms()),
              later(a.email(), b.email())));
    }
    EngagementStore.recordAll(s, List.copyOf(engagement.values()));
    PreferencesStore.recordLastSent(s, List.copyOf(last.values()));
    DailyCounts.release(s, releases);
  }

  private static Instant later(Instant a, Instant b) {
    return a == null ? b : b == null ? a : a.isAfter(b) ? a : b;
  }

  /**
   * The send task failed for good without recording an outcome (a timeout, a database error,
   * retries of an unexpected failure exhausted, or its worker died on its last attempt): the
   * communication must not stay {@code queued} or {@code sending} forever, so it ends {@code failed}
   * naming the failure kind, and no longer counts against the daily limit.
   */
  public void failedForGood(Session s, long id, Channel channel, FailureKind kind) {
    store.failIfPending(s, id, "delivery failed for good (" + kind + ")").ifPresent(released -> {
      meters.ended(s, channel, CommunicationStatus.FAILED);
      if (released.countedDay() != null) {
        DailyCounts.release(s, List.of(new DailyCounts.Release(released.userId(), released.countedDay(), 1)));
      }
    });
  }
}
