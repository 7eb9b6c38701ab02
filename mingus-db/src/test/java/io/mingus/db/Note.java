package io.mingus.db;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A test entity: a note with an assigned id, in table {@code note} (see {@link #DDL}). */
@Entity
@Table(name = "note")
public class Note {
  /** The table of this entity, the same on H2 and PostgreSQL. */
  public static final String DDL = "CREATE TABLE note (id BIGINT PRIMARY KEY, body VARCHAR(200) NOT NULL)";

  @Id
  private Long id;

  private String body;

  protected Note() {}

  public Note(long id, String body) {
    this.id = id;
    this.body = body;
  }

  public Long id() {
    return id;
  }

  public String body() {
    return body;
  }

  public void body(String newBody) {
    body = newBody;
  }
}
