-- Clicks per page and day, with the page's title from the seed.
SELECT date_trunc('day', c.ts) AS day, c.url, p.title, count(*) AS clicks
FROM {{ ref('stg_clicks') }} AS c LEFT JOIN {{ source('pages') }} AS p USING (url)
GROUP BY ALL
