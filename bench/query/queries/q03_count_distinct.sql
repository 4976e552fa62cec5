-- Count distinct: users and sessions per device.
SELECT device, count(DISTINCT user_id) AS users, count(DISTINCT session_id) AS sessions
FROM events
GROUP BY device
ORDER BY device;
