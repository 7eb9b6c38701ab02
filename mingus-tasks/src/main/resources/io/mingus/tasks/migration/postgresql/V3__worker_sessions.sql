-- Workers whose liveness follows their database session (PostgreSQL only). A worker holds a
-- session-level advisory lock, lock_key (random, new for every session), on the connection it keeps
-- for LISTEN, and has a row here for as long as it lives. A row whose lock no session holds any more
-- (pg_locks) belongs to a dead worker: its process died, or its connection was cut. Any live worker
-- then puts that worker's running tasks back at once instead of waiting for their leases to expire,
-- and deletes the row once none is left. Tasks of workers with no row here (H2, PgBouncer in
-- transaction mode, a worker whose LISTEN connection is not up yet) are rescued by lease alone.
CREATE TABLE mingus_task_workers (
  worker_id   VARCHAR(200) PRIMARY KEY,
  lock_key    BIGINT       NOT NULL,
  backend_pid INTEGER      NOT NULL,
  since       TIMESTAMP WITH TIME ZONE NOT NULL
);
