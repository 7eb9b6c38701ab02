package io.mingus.comms.internal;

import static io.mingus.comms.internal.Rows.ts;

import io.mingus.comms.Channel;
import io.mingus.comms.CommunicationStatus;
import io.mingus.comms.OutgoingEmail;
import io.mingus.comms.OutgoingSms;
import io.mingus.comms.ProviderException;
import io.mingus.comms.Providers;
import io.mingus.comms.SendResult;
import io.mingus.comms.internal.CommunicationStore.Pending;
import io.mingus.db.Session;
import io.mingus.tasks.FailureKind;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a send task does, on the task's own session (one transaction):
 *
 * <ol>
 *   <li>lock the communication row ({@code FOR UPDATE}); a row no longer queued is left alone, so a
 *       task that runs twice changes nothing the second time;
 *   <li>lock the user's preferences row: concurrent sends to one user queue here, which makes the
 *       daily-limit count exact;
 *   <li>apply {@link PreferenceRules} (opted out, quiet hours in the user's zone, daily limit counted
 *       from local midnight): a rule that forbids it ends the communication {@code suppressed} with
 *       the reason;
 *   <li>call the provider with the communication id as idempotency key, then record {@code sent},
 *       the provider's id, sent_at, the engagement counters (atomic SQL) and last_*_sent.
 * </ol>
 *
 * <p>The provider is called inside the transaction, so its effect is at least once: if the commit
 * fails after the provider accepted the message, the task runs again and calls the provider again
 * with the same idempotency key, which a provider that dedupes (Twilio-style APIs, the outbox)
 * recognises. A retryable {@link ProviderException} (timeout, 5xx) is rethrown so that the worker
 * retries the task with backoff; on the last attempt, and for a permanent one (4xx), the
 * communication ends {@code failed} with the provider's reason and the task succeeds.
 *
 * <p>Thread-safe: holds only the providers and the clock.
 */
public final class Delivery {
  private static final Logger LOG = LoggerFactory.getLogger(Delivery.class);

  private final Providers providers;
  private final InstantSource clock;
  private final CommunicationStore store;
  private final CommsMeters meters;

  /**
   * Delivers through {@code providers}, recording outcomes through {@code store} and counting them in
   * {@code meters}, by {@code clock}.
   */
  public Delivery(Providers providers, InstantSource clock, CommunicationStore store, CommsMeters meters) {
    this.providers = providers;
    this.clock = clock;
    this.store = store;
    this.meters = meters;
  }

  private record Recipient(String email, String phone, ZoneId zone) {}

  /**
   * Delivers communication {@code id}, or records why not.
   *
   * @param lastAttempt whether a retryable failure must end the communication instead of a retry
   * @return the status the communication has after this run, or {@code null} when it does not exist
   * @throws ProviderException a retryable provider failure when not the last attempt
   */
  public CommunicationStatus deliver(Session s, long id, boolean lastAttempt) {
    Optional<Pending> locked = store.lockForSend(s, id);
    if (locked.isEmpty()) {
      LOG.warn("communication {} does not exist: nothing to send", id);
      return null;
    }
    if (locked.get().status() != CommunicationStatus.QUEUED) {
      LOG.info("communication {} is {} already: nothing to send", id, locked.get().status().label());
      return locked.get().status();
    }
    Pending p = locked.get();
    PreferenceRules rules = s.queryOne("SELECT sms_enabled, email_enabled, quiet_hours_start, quiet_hours_end,"
        + " daily_limit FROM communication_preferences WHERE user_id = ? FOR UPDATE",
        rs -> new PreferenceRules(rs.getBoolean(1), rs.getBoolean(2), rs.getObject(3, LocalTime.class),
            rs.getObject(4, LocalTime.class), rs.getInt(5)), p.userId()).orElseGet(PreferenceRules::defaults);
    Recipient to = s.queryOne("SELECT email, phone, timezone FROM users WHERE id = ?",
        rs -> new Recipient(rs.getString(1), rs.getString(2), ZoneId.of(rs.getString(3))), p.userId()).orElseThrow();
    Instant now = clock.instant();
    Optional<String> reason = rules.forbids(p.channel(), now, to.zone());
    if (reason.isEmpty()) {
      reason = rules.limitReached(store.sentSince(s, p.userId(), PreferenceRules.startOfDay(now, to.zone())));
    }
    if (reason.isPresent()) {
      store.markSuppressed(s, p.id(), reason.get());
      meters.ended(s, p.channel(), CommunicationStatus.SUPPRESSED);
      LOG.info("communication {} suppressed: {}", p.id(), reason.get());
      return CommunicationStatus.SUPPRESSED;
    }
    return callProvider(s, p, to, lastAttempt);
  }

  /**
   * The send task failed for good without recording an outcome (a timeout, a database error,
   * retries of an unexpected failure exhausted): the communication must not stay {@code queued}
   * forever, so it ends {@code failed} naming the failure kind.
   */
  public void failedForGood(Session s, long id, Channel channel, FailureKind kind) {
    if (store.markFailedIfQueued(s, id, "delivery failed for good (" + kind + ")")) {
      meters.ended(s, channel, CommunicationStatus.FAILED);
    }
  }

  private CommunicationStatus callProvider(Session s, Pending p, Recipient to, boolean lastAttempt) {
    String provider = p.channel() == Channel.SMS ? providers.sms().name() : providers.email().name();
    SendResult result;
    try {
      result = call(p, to);
    } catch (ProviderException e) {
      if (e.retryable() && !lastAttempt) {
        // The worker logs the failed attempt and its next run.
        LOG.debug("provider {} could not send communication {} (will retry): {}", provider, p.id(), e.getMessage());
        throw e;
      }
      String error = (e.retryable() ? "provider unavailable, attempts exhausted: " : "provider refused: ")
          + e.getMessage();
      LOG.warn("communication {} failed at provider {}: {}", p.id(), provider, e.getMessage());
      store.markFailed(s, p.id(), provider, error);
      meters.ended(s, p.channel(), CommunicationStatus.FAILED);
      return CommunicationStatus.FAILED;
    }
    Instant sentAt = clock.instant().truncatedTo(ChronoUnit.MICROS);
    store.markSent(s, p.id(), provider, result.providerMessageId(), sentAt);
    EngagementStore.record(s, p.userId(), p.channel(), 1, sentAt);
    s.update("UPDATE communication_preferences SET " + (p.channel() == Channel.SMS ? "last_sms_sent" : "last_email_sent")
        + " = ? WHERE user_id = ?", ts(sentAt), p.userId());
    meters.ended(s, p.channel(), CommunicationStatus.SENT);
    LOG.info("communication {} sent by {} as {}", p.id(), provider, result.providerMessageId());
    return CommunicationStatus.SENT;
  }

  /** Calls the channel's provider with the communication id as idempotency key. */
  private SendResult call(Pending p, Recipient to) {
    String key = Long.toString(p.id());
    try {
      return switch (p.channel()) {
        case SMS -> {
          if (to.phone() == null) {
            throw new ProviderException("user " + p.userId() + " has no phone number", false);
          }
          yield providers.sms().send(new OutgoingSms(p.id(), key, to.phone(), p.message()));
        }
        case EMAIL -> providers.email().send(new OutgoingEmail(p.id(), key, to.email(), p.subject(), p.message()));
      };
    } catch (ProviderException e) {
      throw e;
    } catch (RuntimeException e) {
      // A provider bug or an unexpected failure: retried like an outage, then recorded as failed.
      throw new ProviderException("provider threw " + e.getClass().getName() + ": " + e.getMessage(), true, e);
    }
  }
}
