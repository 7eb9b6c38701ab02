-- Listing by status (H2 has no partial indexes; see the PostgreSQL variant).
CREATE INDEX communication_metrics_status_id ON communication_metrics (status, id);
