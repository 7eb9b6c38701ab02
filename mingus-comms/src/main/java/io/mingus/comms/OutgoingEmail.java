package io.mingus.comms;

/**
 * An email handed to a provider.
 *
 * @param communicationId the communication's id
 * @param idempotencyKey the key the provider dedupes on: the communication id
 * @param to the address
 * @param subject the subject
 * @param body the plain-text body
 */
public record OutgoingEmail(long communicationId, String idempotencyKey, String to, String subject,
    String body) {}
