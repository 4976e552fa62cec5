-- Fails when a click is stamped more than a day ahead of the server's clock.
SELECT * FROM {{ ref('stg_clicks') }} WHERE ts > now() + INTERVAL 1 DAY
