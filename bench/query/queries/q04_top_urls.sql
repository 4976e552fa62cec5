-- Top-k: the ten most viewed pages.
SELECT url, count(*) AS views
FROM events
WHERE event_type = 'page_view'
GROUP BY url
ORDER BY views DESC, url
LIMIT 10;
