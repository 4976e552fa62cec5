-- Window function: the three most clicked pages of every country.
SELECT country, url, clicks
FROM (SELECT country, url, count(*) AS clicks,
             row_number() OVER (PARTITION BY country ORDER BY count(*) DESC, url) AS place
      FROM events
      WHERE event_type = 'click'
      GROUP BY country, url) ranked
WHERE place <= 3
ORDER BY country, place;
