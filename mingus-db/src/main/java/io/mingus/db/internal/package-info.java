/**
 * The implementation of {@code io.mingus.db}: pools, transactions, health, monitoring. Not API:
 * anything here may change without notice.
 */
package io.mingus.db.internal;
