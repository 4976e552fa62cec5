-- Time bucketing over everything: a daily funnel.
SELECT date_trunc('day', ts) AS day,
       count(*) FILTER (WHERE event_type = 'page_view') AS views,
       count(*) FILTER (WHERE event_type = 'add_to_cart') AS carts,
       count(*) FILTER (WHERE event_type = 'purchase') AS purchases,
       sum(amount) AS revenue
FROM events
GROUP BY date_trunc('day', ts)
ORDER BY day;
