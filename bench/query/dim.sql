-- The dimension table: 100,000 users, every value derived from the id. Runs unchanged in DuckDB
-- (lagoa's engine and DuckDB alone) and PostgreSQL.
CREATE TABLE users AS
SELECT id AS user_id,
       'user_' || id AS name,
       CASE id % 10 WHEN 0 THEN 'enterprise' WHEN 1 THEN 'team' WHEN 2 THEN 'pro' WHEN 3 THEN 'pro' ELSE 'free' END AS plan,
       DATE '2020-01-01' + CAST(id * 7 % 2190 AS INTEGER) AS signup_date,
       CAST(18 + id * 13 % 60 AS INTEGER) AS age
FROM generate_series(1, 100000) AS t(id);
