/** Internals of the server that must be public for a library to find them (logback's configurator). */
package io.mingus.server.internal;
