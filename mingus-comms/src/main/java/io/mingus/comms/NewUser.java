package io.mingus.comms;

/**
 * A user to create.
 *
 * @param email the email address, unique among users
 * @param phone the phone number in E.164 form ({@code +14155550123}), or {@code null}
 * @param timezone an IANA time zone id ({@code Europe/Paris}); {@code null} means UTC
 */
public record NewUser(String email, String phone, String timezone) {}
