package io.mingus.comms;

import java.time.Instant;

/**
 * A user who receives communications.
 *
 * @param id the user's id
 * @param email the email address
 * @param phone the phone number in E.164 form, or {@code null}
 * @param timezone the IANA time zone id in which quiet hours and daily limits are counted
 * @param createdAt when the user was created
 */
public record User(long id, String email, String phone, String timezone, Instant createdAt) {}
