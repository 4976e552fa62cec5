-- Join with a filter on the dimension: distinct young users per country, top 10.
SELECT e.country, count(DISTINCT e.user_id) AS users, count(*) AS events
FROM events e
JOIN users u ON u.user_id = e.user_id
WHERE u.age BETWEEN 18 AND 25
GROUP BY e.country
ORDER BY users DESC, e.country
LIMIT 10;
