package io.mingus.comms.internal;

import io.mingus.comms.User;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** A row of {@code users}. Not thread-safe (a Hibernate entity). */
@Entity
@Table(name = "users")
public class UserEntity {
  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  private Long id;

  @Column(nullable = false, length = 254)
  private String email;

  @Column(length = 16)
  private String phone;

  @Column(nullable = false, length = 64)
  private String timezone;

  @Column(name = "created_at", nullable = false)
  private Instant createdAt;

  protected UserEntity() {}

  /** A new user, not yet persisted. */
  public UserEntity(String email, String phone, String timezone, Instant createdAt) {
    this.email = email;
    this.phone = phone;
    this.timezone = timezone;
    this.createdAt = createdAt;
  }

  /** The id; {@code null} until persisted. */
  public Long id() {
    return id;
  }

  /** The API view. */
  public User toUser() {
    return new User(id, email, phone, timezone, createdAt);
  }
}
