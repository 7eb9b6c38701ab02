/**
 * The Mingus server: the HTTP API ({@link io.mingus.server.MingusApp}), the guide's health,
 * metrics and dashboard endpoints, and the {@code mingus} command line ({@link
 * io.mingus.server.Main}).
 */
package io.mingus.server;
