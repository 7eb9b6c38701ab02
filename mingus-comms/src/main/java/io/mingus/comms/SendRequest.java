package io.mingus.comms;

/**
 * A message to send to one user.
 *
 * @param userId the recipient
 * @param channel SMS or email
 * @param message the text (at most 1,600 characters for SMS, 100,000 for email)
 * @param subject the subject of an email (required for email, at most 200 characters); ignored for SMS
 * @param messageType what kind of message this is ({@code reminder}, {@code alert}...), at most 50
 *     characters; {@code null} means {@code general}
 * @param idempotencyKey a key of at most 255 characters: a repeated key returns the first
 *     communication and sends nothing; or {@code null}
 */
public record SendRequest(long userId, Channel channel, String message, String subject,
    String messageType, String idempotencyKey) {}
