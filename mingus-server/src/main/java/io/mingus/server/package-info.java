/**
 * The Mingus server: the HTTP API ({@link io.mingus.server.MingusApp}), the database health,
 * metrics and dashboard documents, the operator's console, and the {@code mingus} command line ({@link
 * io.mingus.server.Main}).
 */
package io.mingus.server;
