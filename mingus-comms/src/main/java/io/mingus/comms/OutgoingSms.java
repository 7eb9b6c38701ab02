package io.mingus.comms;

/**
 * An SMS handed to a provider.
 *
 * @param communicationId the communication's id
 * @param idempotencyKey the key the provider dedupes on: the communication id, so a retried task
 *     that sends again is recognised
 * @param to the phone number in E.164 form
 * @param body the text
 */
public record OutgoingSms(long communicationId, String idempotencyKey, String to, String body) {}
