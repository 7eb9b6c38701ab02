package io.mingus.comms;

/** An id that does not exist. */
public final class NotFoundException extends CommsException {
  private static final long serialVersionUID = 1L;

  private final String entity;
  private final long id;

  /**
   * @param entity what was looked up, such as {@code "user"}
   * @param id the id that was not found
   */
  public NotFoundException(String entity, long id) {
    super(entity + " " + id + " does not exist");
    this.entity = entity;
    this.id = id;
  }

  /** What was looked up, such as {@code "user"} or {@code "communication"}. */
  public String entity() {
    return entity;
  }

  /** The id that was not found. */
  public long id() {
    return id;
  }
}
