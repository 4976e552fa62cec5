{{ config(materialized='incremental', incremental_strategy='merge', unique_key='user_id') }}
-- Each user's latest click; later builds read only the clicks after the latest one seen.
SELECT user_id, max(ts) AS last_seen, count(*) AS clicks_since_last_build
FROM {{ ref('stg_clicks') }}
{% if is_incremental() %}WHERE ts > (SELECT max(last_seen) FROM {{ this }}){% endif %}
GROUP BY user_id
