-- Point filter: one user's latest 100 events (an index lookup for PostgreSQL).
SELECT event_id, event_type, url, amount, ts
FROM events
WHERE user_id = 4242
ORDER BY ts DESC, event_id
LIMIT 100;
