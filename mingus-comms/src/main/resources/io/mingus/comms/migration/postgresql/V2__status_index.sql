-- Listing by status: queued rows are few and looked up often, so a partial index suffices on PostgreSQL.
CREATE INDEX communication_metrics_status_id ON communication_metrics (status, id);
CREATE INDEX communication_metrics_queued ON communication_metrics (created_at) WHERE status = 'queued';
