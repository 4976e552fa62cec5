{{ config(unique_key='url', strategy='check', check_cols=['title']) }}
-- Every title a page has had (edit seeds/pages.csv, then `lagoa build` again).
SELECT url, title FROM {{ source('pages') }}
