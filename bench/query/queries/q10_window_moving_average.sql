-- Window function over time buckets: daily revenue and its 7-day moving average.
SELECT day, revenue,
       avg(revenue) OVER (ORDER BY day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS revenue_7d
FROM (SELECT date_trunc('day', ts) AS day, sum(amount) AS revenue
      FROM events
      WHERE event_type = 'purchase'
      GROUP BY date_trunc('day', ts)) daily
ORDER BY day;
