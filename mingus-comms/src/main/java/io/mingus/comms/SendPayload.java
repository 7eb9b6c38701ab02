package io.mingus.comms;

/**
 * The payload of a send task: only the communication's id. The text stays in the database row,
 * so task payloads (which task admin lists show) never carry message bodies.
 *
 * @param communicationId the communication to deliver
 */
public record SendPayload(long communicationId) {}
