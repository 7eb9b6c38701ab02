package io.mingus.comms;

/**
 * What a provider answers when it accepts a message.
 *
 * @param providerMessageId the provider's id of the message (a Twilio SID, a Message-ID), or {@code null}
 */
public record SendResult(String providerMessageId) {}
