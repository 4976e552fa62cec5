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

-- INSERT appends DuckDB's rows as typed records, without a JSON round trip: every type a stream
-- column can have, nested ones and NULLs included; JSON is kept minified. (A TIMESTAMP column reads
-- as TIMESTAMPTZ in UTC, as catalog.sql shows.)
-- statement
CREATE STREAM typed (n VARCHAR NOT NULL, b BOOLEAN, i INTEGER, big DECIMAL(20,3), small DECIMAL(4,1), f DOUBLE, day DATE, ts TIMESTAMP, j JSON, l BIGINT[], st STRUCT(a INTEGER, b VARCHAR[])) WITH (event_time = 'ts')

-- statement
INSERT INTO typed VALUES ('a', true, -7, 12345678901234567.125, -12.5, 1.5, '2026-12-07', '2026-12-07 10:00:00.123456', '{ "k" : [1, 2] }', [1, NULL, 3], {'a': 5, 'b': ['x', NULL]}), ('b', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, [], NULL), ('c', false, 2147483647, -99999999999999999.999, 999.9, -2.5e-3, '0001-01-01', '9999-12-31 23:59:59.999999', 'null', NULL, {'a': NULL, 'b': []})

-- query
SELECT n, b, i, big, small, f, day, ts, j, l, st, _event_time = ts AS at_ts FROM typed ORDER BY n
-- expect
n,b,i,big,small,f,day,ts,j,l,st,at_ts
a,true,-7,12345678901234567.125,-12.5,1.5,2026-12-07,2026-12-07 10:00:00.123456+00,"{""k"":[1,2]}","[1, NULL, 3]","{'a': 5, 'b': [x, NULL]}",true
b,,,,,,,,,[],,
c,false,2147483647,-99999999999999999.999,999.9,-0.0025,0001-01-01,9999-12-31 23:59:59.999999+00,null,,"{'a': NULL, 'b': []}",true

-- A value a stream cannot hold fails the statement, naming the row and the column.
-- statement
INSERT INTO typed (n, f) VALUES ('d', 1), ('e', 'NaN')
-- error: no row was appended: row 2: `f`: nan is not a number lagoa stores

-- statement
INSERT INTO typed (n, day) VALUES ('f', 'infinity')
-- error: row 1: `day`: the date is outside years 0001-9999

-- statement
INSERT INTO typed (n, ts) VALUES ('g', '10000-01-01')
-- error: row 1: `ts`: the timestamp is outside years 0001-9999

-- statement
INSERT INTO typed (i) VALUES (1)
-- error: row 1: column `n` is NOT NULL; the row has NULL

-- statement
INSERT INTO typed (n, l) VALUES ('h', [1, 2]), ('i', NULL)

-- query
SELECT count(*) AS n, count(l) AS with_list FROM typed
-- expect
n,with_list
5,3

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
-- error: CREATE STREAM: "logs" is the name of a stream

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
-- error: CREATE STREAM: "taken" is the name of a table

-- A view shares the name space too: one named like a stream or a table would be hidden by it.
-- statement
CREATE VIEW Taken AS SELECT 1 AS one
-- error: CREATE VIEW: "Taken" is the name of a table made by SQL (CREATE TABLE) (spelled "taken"; names ignore case)

-- statement
CREATE OR REPLACE VIEW main.typed AS SELECT 1 AS one
-- error: CREATE VIEW: "typed" is the name of a stream

-- A view replacing a view, a temporary one, or one in another schema is DuckDB's to check.
-- statement
CREATE VIEW typed_v AS SELECT 1 AS one; CREATE OR REPLACE VIEW typed_v AS SELECT 2 AS two; CREATE TEMP VIEW typed_tmp AS SELECT 3 AS three

-- query
SELECT two FROM typed_v
-- expect
two
2

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
