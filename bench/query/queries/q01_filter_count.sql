-- Filter: purchases from Germany on mobile.
SELECT count(*) AS purchases, sum(amount) AS revenue
FROM events
WHERE event_type = 'purchase' AND country = 'DE' AND device = 'mobile';
