-- Time bucketing over a range: one day of events per hour.
SELECT date_trunc('hour', ts) AS hour, count(*) AS events, avg(duration_ms) AS avg_duration_ms
FROM events
WHERE ts >= TIMESTAMPTZ '2026-10-10 00:00:00+00' AND ts < TIMESTAMPTZ '2026-10-11 00:00:00+00'
GROUP BY date_trunc('hour', ts)
ORDER BY hour;
