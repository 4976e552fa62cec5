-- Ordered-set aggregate: median and 95th percentile duration per device and event type.
SELECT device, event_type,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95_ms
FROM events
GROUP BY device, event_type
ORDER BY device, event_type;
