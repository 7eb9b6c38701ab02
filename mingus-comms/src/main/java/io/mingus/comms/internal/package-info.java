/**
 * The implementation of the communication service: entities, SQL stores, the send logic
 * ({@link io.mingus.comms.internal.Delivery}), the preference rules, validation and the providers.
 * Not API: types here are public only so that the API package can use them; they may change.
 */
package io.mingus.comms.internal;
