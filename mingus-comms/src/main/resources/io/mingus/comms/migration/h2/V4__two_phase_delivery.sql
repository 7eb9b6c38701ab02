-- Two-phase delivery (issue 9); see the PostgreSQL variant for the why of each change.
ALTER TABLE communication_metrics DROP CONSTRAINT communication_metrics_status;
ALTER TABLE communication_metrics ADD CONSTRAINT communication_metrics_status
  CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'suppressed'));

ALTER TABLE communication_metrics ADD COLUMN counted_day DATE;

CREATE TABLE daily_send_counts (
  user_id    BIGINT PRIMARY KEY REFERENCES users (id),
  local_day  DATE NOT NULL,
  sends      INTEGER NOT NULL,
  CONSTRAINT daily_send_counts_sends CHECK (sends >= 0)
);
