-- Two-phase delivery (issue 9): a send is reserved in one short transaction, the provider is called
-- outside any, and the outcome is recorded in another.

-- 'sending': reserved, the provider is being called (or will be again after a crash or an outage).
-- Adding the constraint checks every row once, under a lock of the table.
ALTER TABLE communication_metrics DROP CONSTRAINT communication_metrics_status;
ALTER TABLE communication_metrics ADD CONSTRAINT communication_metrics_status
  CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'suppressed'));

-- The user's local day this communication was counted on against the daily limit, while it counts
-- (sending or sent): a reservation made again for the same day does not count it twice.
ALTER TABLE communication_metrics ADD COLUMN counted_day DATE;

-- The daily limit's counter: one row per user, the sends counted on that user's current local day
-- (sent or being sent). Reserving is one conditional UPDATE of this row, whatever the history.
-- Updated often and never indexed beyond its key: room on each page keeps the updates HOT.
CREATE TABLE daily_send_counts (
  user_id    BIGINT PRIMARY KEY REFERENCES users (id),
  local_day  DATE NOT NULL,
  sends      INTEGER NOT NULL,
  CONSTRAINT daily_send_counts_sends CHECK (sends >= 0)
) WITH (fillfactor = 70);
