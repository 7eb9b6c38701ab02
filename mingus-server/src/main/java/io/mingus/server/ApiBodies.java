package io.mingus.server;

import io.mingus.comms.Channel;
import io.mingus.comms.NewUser;
import io.mingus.comms.PreferencesUpdate;
import io.mingus.comms.SendRequest;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;

/**
 * The request bodies of {@code /api}, as read from JSON (snake_case fields). Each turns itself into
 * the domain's request after checking what the domain's types cannot hold (a missing user id, an
 * unknown channel); the domain validates the rest.
 */
final class ApiBodies {
  private ApiBodies() {}

  /** {@code POST /api/users}. */
  record CreateUser(String email, String phone, String timezone) {
    NewUser toNewUser() {
      return new NewUser(email, phone, timezone);
    }
  }

  /** {@code PUT /api/users/{id}/preferences}: absent fields stay as they are. */
  record UpdatePreferences(Boolean smsEnabled, Boolean emailEnabled, LocalTime quietHoursStart,
      LocalTime quietHoursEnd, Integer dailyLimit, Boolean clearQuietHours) {
    PreferencesUpdate toUpdate() {
      return new PreferencesUpdate(smsEnabled, emailEnabled, quietHoursStart, quietHoursEnd, dailyLimit,
          Boolean.TRUE.equals(clearQuietHours));
    }
  }

  /** {@code POST /api/communications}, and each item of a batch. */
  record Send(Long userId, String channel, String message, String subject, String messageType,
      String idempotencyKey) {

    SendRequest toRequest(String prefix, List<Problem.FieldProblem> errors) {
      int before = errors.size();
      if (userId == null) {
        errors.add(new Problem.FieldProblem(prefix + "user_id", "is required"));
      } else if (userId < 1) {
        errors.add(new Problem.FieldProblem(prefix + "user_id", "must be a user id (1 or more)"));
      }
      Channel parsed = null;
      if (channel == null) {
        errors.add(new Problem.FieldProblem(prefix + "channel", "is required: sms or email"));
      } else {
        // exactly as spelled: " SMS" is not a channel (the CLI is more forgiving, the API is a contract)
        for (Channel c : Channel.values()) {
          if (c.label().equals(channel)) {
            parsed = c;
          }
        }
        if (parsed == null) {
          errors.add(new Problem.FieldProblem(prefix + "channel", "must be sms or email, in lower case"));
        }
      }
      if (message == null) {
        errors.add(new Problem.FieldProblem(prefix + "message", "is required"));
      }
      return errors.size() > before ? null
          : new SendRequest(userId, parsed, message, subject, messageType, idempotencyKey);
    }

    SendRequest toRequest() {
      List<Problem.FieldProblem> errors = new ArrayList<>();
      SendRequest request = toRequest("", errors);
      if (!errors.isEmpty()) {
        throw HttpProblem.invalid(summary(errors), errors);
      }
      return request;
    }
  }

  /** {@code POST /api/communications/batch}: 1 to 1,000 communications, all or nothing. */
  record SendBatch(List<Send> communications) {
    static final int MAX = 1000;

    List<SendRequest> toRequests() {
      if (communications == null || communications.isEmpty()) {
        throw HttpProblem.invalid("communications", "is required: an array of 1 to " + MAX + " communications");
      }
      if (communications.size() > MAX) {
        throw HttpProblem.invalid("communications", "holds " + communications.size()
            + " communications, which is more than allowed: send at most " + MAX + " per batch");
      }
      List<Problem.FieldProblem> errors = new ArrayList<>();
      List<SendRequest> requests = new ArrayList<>(communications.size());
      for (int i = 0; i < communications.size(); i++) {
        Send item = communications.get(i);
        if (item == null) {
          errors.add(new Problem.FieldProblem("communications[" + i + "]", "must be an object"));
        } else {
          requests.add(item.toRequest("communications[" + i + "].", errors));
        }
      }
      if (!errors.isEmpty()) {
        throw HttpProblem.invalid(summary(errors), errors);
      }
      return requests;
    }
  }

  static String summary(List<Problem.FieldProblem> errors) {
    Problem.FieldProblem first = errors.getFirst();
    return first.field() + " " + first.message()
        + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more problems)" : "");
  }
}
