\set u random(1, 1000)
BEGIN;
INSERT INTO mingus_pgbench.communication_metrics (user_id, message_type, channel, status) VALUES (:u, 'notification', 'sms', 'sent');
UPDATE mingus_pgbench.user_engagement_metrics SET total_communications = total_communications + 1, last_activity = CURRENT_TIMESTAMP WHERE user_id = :u;
DELETE FROM mingus_pgbench.tasks WHERE id = (SELECT nextval('mingus_pgbench.next_task')) AND attempt = 1 AND lease_owner = 'w' AND state = 'running';
COMMIT;
