package io.mingus.comms.internal;

import io.mingus.comms.Engagement;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * A row of {@code user_engagement_metrics}. Read through the ORM; its counters are only ever
 * changed in SQL ({@code SET total_communications = total_communications + 1}), never by a
 * read-modify-write of this entity, which would lose updates under concurrent tasks. Not
 * thread-safe (a Hibernate entity).
 */
@Entity
@Table(name = "user_engagement_metrics")
public class EngagementEntity {
  @Id
  @Column(name = "user_id")
  private Long userId;

  @Column(name = "total_communications", nullable = false)
  private long totalCommunications;

  @Column(name = "sms_count", nullable = false)
  private long smsCount;

  @Column(name = "email_count", nullable = false)
  private long emailCount;

  @Column(name = "last_activity")
  private Instant lastActivity;

  protected EngagementEntity() {}

  /** A user's zero counters. */
  public EngagementEntity(long userId) {
    this.userId = userId;
  }

  /** The API view. */
  public Engagement toEngagement() {
    return new Engagement(userId, totalCommunications, smsCount, emailCount, lastActivity);
  }
}
