package io.mingus.comms.internal;

import io.mingus.comms.Preferences;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.time.LocalTime;
import org.hibernate.annotations.JdbcType;
import org.hibernate.type.descriptor.jdbc.LocalTimeJdbcType;

/** A row of {@code communication_preferences}. Not thread-safe (a Hibernate entity). */
@Entity
@Table(name = "communication_preferences")
public class PreferencesEntity {
  /** The daily limit of a new user. */
  public static final int DEFAULT_DAILY_LIMIT = 10;

  @Id
  @Column(name = "user_id")
  private Long userId;

  @Column(name = "sms_enabled", nullable = false)
  private boolean smsEnabled = true;

  @Column(name = "email_enabled", nullable = false)
  private boolean emailEnabled = true;

  // Bound with setObject(LocalTime): the factory's hibernate.jdbc.time_zone=UTC would otherwise
  // shift a wall-clock time by the JVM's offset (22:00 stored as 03:00 in New York).
  @JdbcType(LocalTimeJdbcType.class)
  @Column(name = "quiet_hours_start")
  private LocalTime quietHoursStart;

  @JdbcType(LocalTimeJdbcType.class)
  @Column(name = "quiet_hours_end")
  private LocalTime quietHoursEnd;

  @Column(name = "daily_limit", nullable = false)
  private int dailyLimit = DEFAULT_DAILY_LIMIT;

  @Column(name = "last_sms_sent")
  private Instant lastSmsSent;

  @Column(name = "last_email_sent")
  private Instant lastEmailSent;

  @Column(name = "updated_at", nullable = false)
  private Instant updatedAt;

  protected PreferencesEntity() {}

  /** The defaults of a new user: both channels on, no quiet hours, the default daily limit. */
  public PreferencesEntity(long userId, Instant now) {
    this.userId = userId;
    this.updatedAt = now;
  }

  /** Sets the SMS switch. */
  public void smsEnabled(boolean on) {
    smsEnabled = on;
  }

  /** Sets the email switch. */
  public void emailEnabled(boolean on) {
    emailEnabled = on;
  }

  /** Sets (or, with nulls, removes) the quiet hours. */
  public void quietHours(LocalTime start, LocalTime end) {
    quietHoursStart = start;
    quietHoursEnd = end;
  }

  /** Sets the daily limit. */
  public void dailyLimit(int limit) {
    dailyLimit = limit;
  }

  /** Records a change. */
  public void touch(Instant now) {
    updatedAt = now;
  }

  /** The start of the quiet hours, or {@code null}. */
  public LocalTime quietHoursStart() {
    return quietHoursStart;
  }

  /** The end of the quiet hours, or {@code null}. */
  public LocalTime quietHoursEnd() {
    return quietHoursEnd;
  }

  /** The API view. */
  public Preferences toPreferences() {
    return new Preferences(userId, smsEnabled, emailEnabled, quietHoursStart, quietHoursEnd, dailyLimit,
        lastSmsSent, lastEmailSent, updatedAt);
  }
}
