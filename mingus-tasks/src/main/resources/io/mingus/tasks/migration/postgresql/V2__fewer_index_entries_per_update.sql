-- Fewer index entries per state change. A claim and a completion change the state (and heartbeat
-- or finished time), which partial indexes reference, so neither is a HOT update: each index the
-- new row version falls in gets an entry, and its WAL. Two indexes took an entry on every change:

-- Admin listing by state and queue: kept only for the states a person looks for among many
-- succeeded rows (queued and running rows are found through the claim and running indexes, and
-- succeeded ones through the primary key, newest first).
DROP INDEX mingus_tasks_state_queue;
CREATE INDEX mingus_tasks_unsettled ON mingus_tasks (queue, id) WHERE state IN ('failed', 'cancelled');

-- Unique keys: only rows that have one. Inserts name this predicate in ON CONFLICT, so processes
-- running a release before this migration cannot enqueue with a unique key once it ran ("no unique
-- or exclusion constraint matching the ON CONFLICT specification"): stop them before migrating.
DROP INDEX mingus_tasks_unique_key;
CREATE UNIQUE INDEX mingus_tasks_unique_key ON mingus_tasks (unique_key) WHERE unique_key IS NOT NULL;
