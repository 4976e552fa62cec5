-- Group-by: events, revenue and mean duration per country.
SELECT country, count(*) AS events, sum(amount) AS revenue, avg(duration_ms) AS avg_duration_ms
FROM events
GROUP BY country
ORDER BY revenue DESC, country;
