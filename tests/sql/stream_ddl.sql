-- CREATE STREAM and DROP STREAM: the same definitions, checks and effects as PUT and DELETE
-- /v1/streams/NAME.

-- statement
CREATE STREAM clicks (user_id BIGINT, url VARCHAR, ts TIMESTAMPTZ) WITH (partitions = 2, event_time = 'ts', partition_by = 'date(ts)')

-- Two POSTs: one to each partition (round robin).
-- events: clicks
{"user_id": 1, "url": "/a", "ts": "2026-11-26T10:00:00Z"}
-- events: clicks
{"user_id": 2, "url": "/b", "ts": "2026-11-27T10:00:00Z"}

-- query
SELECT user_id, url, _event_time, _date FROM clicks ORDER BY user_id
-- expect
user_id,url,_event_time,_date
1,/a,2026-11-26 10:00:00+00,2026-11-26
2,/b,2026-11-27 10:00:00+00,2026-11-27

-- load: clicks

-- query
SELECT count(*) AS n, count(DISTINCT _partition) AS partitions FROM clicks WHERE user_id < 3
-- expect
n,partitions
2,2

-- INSERT into a stream appends events as POST /v1/streams/NAME/events does: DuckDB's VALUES,
-- column lists and SELECTs; the event time from its column, else the ingest time.
-- statement
INSERT INTO clicks VALUES (3, '/c', '2026-11-28 12:00:00+02'), (4, '/d', NULL)

-- statement
INSERT INTO clicks (user_id, url) SELECT 10 + range, '/r' FROM range(2)

-- query
SELECT user_id, url, ts, _event_time IS NOT NULL AS has_time, _date IS NOT NULL AS has_date FROM clicks WHERE user_id > 2 ORDER BY user_id
-- expect
user_id,url,ts,has_time,has_date
3,/c,2026-11-28 10:00:00+00,true,true
4,/d,,true,false
10,/r,,true,false
11,/r,,true,false

-- statement
BEGIN; INSERT INTO clicks VALUES (5, '/e', NULL)
-- error: cannot be part of a transaction

-- statement
INSERT INTO clicks VALUES ('x')
-- error: stream "clicks": Binder Error: table clicks has 3 columns but 1 values were supplied

-- An inferred stream without columns; one kept out of the lake.
-- statement
CREATE STREAM logs WITH (infer = true, lake = false)

-- events: logs
{"level": "info", "code": 7}

-- query
SELECT level, code FROM logs
-- expect
level,code
info,7

-- statement
CREATE STREAM IF NOT EXISTS logs (x INTEGER)

-- statement
CREATE STREAM logs (x INTEGER)
-- error: CREATE STREAM: a stream called "logs" exists already

-- statement
CREATE STREAM bad (x NOTATYPE)
-- error: CREATE STREAM "bad"

-- statement
CREATE STREAM bad (x INTEGER) WITH (colour = 'red')
-- error: unknown option "colour"

-- statement
CREATE STREAM bad (x INTEGER) WITH (partitions = 'two')
-- error: CREATE STREAM "bad"

-- statement
CREATE TABLE taken (x INTEGER)

-- statement
CREATE STREAM taken (x INTEGER)
-- error: a table called "taken" exists already

-- statement
DROP STREAM clicks

-- query
SELECT * FROM clicks
-- error: Table with name clicks does not exist

-- statement
DROP STREAM clicks
-- error: no stream is called "clicks"

-- statement
DROP STREAM IF EXISTS clicks

-- The name is free again: a new stream starts empty.
-- statement
CREATE STREAM clicks (user_id BIGINT)

-- query
SELECT count(*) AS n FROM clicks
-- expect
n
0
