-- Clicks with a user, from the live stream (lake history and log tail).
SELECT user_id, url, ts FROM {{ source('clicks') }} WHERE user_id IS NOT NULL
