\set u random(1, 1000)
\set r random(1, 10)
\if :r = 1
UPDATE mingus_pgbench.tasks t SET state = 'running', lease_owner = 'w', heartbeat_at = now(), attempt = t.attempt + 1 WHERE t.id = ANY (ARRAY(SELECT id FROM mingus_pgbench.tasks WHERE state = 'queued' AND queue = 'default' AND run_at <= now() ORDER BY priority DESC, run_at, id LIMIT 10 FOR UPDATE SKIP LOCKED));
\endif
BEGIN;
INSERT INTO mingus_pgbench.communication_metrics (user_id, message_type, channel, status) VALUES (:u, 'notification', 'sms', 'sent');
UPDATE mingus_pgbench.user_engagement_metrics SET total_communications = total_communications + 1, last_activity = CURRENT_TIMESTAMP WHERE user_id = :u;
UPDATE mingus_pgbench.tasks SET state = 'succeeded', finished_at = now(), heartbeat_at = NULL WHERE id = (SELECT nextval('mingus_pgbench.next_task')) AND attempt = 1 AND lease_owner = 'w' AND state = 'running';
COMMIT;
