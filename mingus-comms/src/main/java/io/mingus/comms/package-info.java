/**
 * The MINGUS communication service: users, their communication preferences, the record of every
 * SMS and email (communication_metrics), user engagement, the send tasks and the providers that
 * deliver messages.
 *
 * <p>Start at {@link io.mingus.comms.CommunicationService}: one per process, created from a
 * {@link io.mingus.db.Database} built with {@link io.mingus.comms.CommunicationService#entities()},
 * a {@code TaskQueue} and {@link io.mingus.comms.Providers}. Everything a caller names lives in
 * this package; the implementation is in {@code io.mingus.comms.internal} and is not API.
 */
package io.mingus.comms;
