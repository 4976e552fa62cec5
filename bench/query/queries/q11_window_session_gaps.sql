-- Window function per user: seconds between a user's consecutive events, for 1,000 users.
SELECT count(*) AS gaps, avg(gap_s) AS avg_gap_s, max(gap_s) AS max_gap_s
FROM (SELECT extract(epoch FROM ts) - lag(extract(epoch FROM ts)) OVER (PARTITION BY user_id ORDER BY ts) AS gap_s
      FROM events
      WHERE user_id BETWEEN 50000 AND 50999) gaps
WHERE gap_s IS NOT NULL;
