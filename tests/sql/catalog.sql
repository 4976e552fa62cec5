-- The catalog: streams (and their dead-letter streams) are SQL relations with the stream's
-- columns followed by lagoa's metadata columns; a stream partitioned by date(col) adds _date.

-- stream: clicks {"schema": "user_id BIGINT, url VARCHAR, ts TIMESTAMPTZ", "partitions": 2, "event_time": "ts"}
-- stream: daily {"schema": "n INTEGER, at TIMESTAMP", "lake": {"partition_by": "date(at)"}}
-- stream: logonly {"schema": "x DOUBLE", "lake": {"enabled": false}}

-- query
SHOW TABLES
-- expect
name
clicks
clicks.dlq
daily
daily.dlq
logonly
logonly.dlq

-- query
SELECT column_name, column_type, "null" FROM (DESCRIBE clicks)
-- expect
column_name,column_type,null
user_id,BIGINT,YES
url,VARCHAR,YES
ts,TIMESTAMP WITH TIME ZONE,YES
_offset,BIGINT,YES
_partition,INTEGER,YES
_ingested_at,TIMESTAMP WITH TIME ZONE,YES
_event_time,TIMESTAMP WITH TIME ZONE,YES

-- TIMESTAMP columns are UTC instants and read as TIMESTAMPTZ, as the lake stores them.
-- query
SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'daily' ORDER BY ordinal_position
-- expect
column_name,data_type
n,INTEGER
at,TIMESTAMP WITH TIME ZONE
_offset,BIGINT
_partition,INTEGER
_ingested_at,TIMESTAMP WITH TIME ZONE
_event_time,TIMESTAMP WITH TIME ZONE
_date,DATE

-- query
SELECT column_name FROM (DESCRIBE "clicks.dlq")
-- expect
column_name
line
raw
error
received_at
_offset
_partition
_ingested_at
_event_time

-- An empty stream is an empty relation.
-- query
SELECT count(*) AS n FROM clicks
-- expect
n
0

-- events: clicks rejected=1
{"user_id": 1, "url": "/a", "ts": "2026-11-25T10:00:00Z"}
{"user_id": "not a number", "url": "/b", "ts": "2026-11-25T10:00:01Z"}

-- The rejected line is in the dead-letter stream.
-- query
SELECT line, raw LIKE '%not a number%' AS kept, _offset FROM "clicks.dlq"
-- expect
line,kept,_offset
2,true,0

-- With an event-time column, _event_time is its value.
-- query
SELECT user_id, url, ts, _event_time, _offset FROM clicks
-- expect
user_id,url,ts,_event_time,_offset
1,/a,2026-11-25 10:00:00+00,2026-11-25 10:00:00+00,0

-- events: daily
{"n": 1, "at": "2026-11-25T23:59:59Z"}
{"n": 2, "at": "2026-11-26T00:00:00Z"}
{"n": 3, "at": null}

-- query
SELECT n, "at", _date FROM daily ORDER BY n
-- expect
n,at,_date
1,2026-11-25 23:59:59+00,2026-11-25
2,2026-11-26 00:00:00+00,2026-11-26
3,,

-- A stream without a lake table is its log alone.
-- events: logonly
{"x": 1.5}
{"x": -2}

-- query
SELECT sum(x) AS s, count(*) AS n, max(_offset) AS last FROM logonly
-- expect
s,n,last
-0.5,2,1

-- A dropped stream leaves the catalog.
-- drop: logonly
-- query
SELECT count(*) FROM logonly
-- error: Table with name logonly does not exist

-- The catalog of every named object is a relation too: lagoa_catalog() (kind, location, creation
-- time, lineage, definition) and lagoa_catalog_columns() (columns with their tags), what
-- GET /v1/catalog answers, for every SQL client.
-- statement
CREATE VIEW recent AS SELECT c.user_id, d.n FROM clicks c JOIN daily d ON c.user_id = d.n

-- query
SELECT name, kind, coalesce(location LIKE 'file:///%/lake/' || name || '/', false) AS in_lake,
       created_at IS NOT NULL AS dated, derived_from
FROM lagoa_catalog() ORDER BY name
-- expect
name,kind,in_lake,dated,derived_from
clicks,stream,true,true,[]
clicks.dlq,dead_letter_stream,false,true,[clicks]
daily,stream,true,true,[]
daily.dlq,dead_letter_stream,false,true,[daily]
recent,view,false,false,"[clicks, daily]"

-- query
SELECT object, column_name, column_type, tags FROM lagoa_catalog_columns() WHERE object = 'clicks'
-- expect
object,column_name,column_type,tags
clicks,user_id,BIGINT,[]
clicks,url,VARCHAR,[]
clicks,ts,TIMESTAMPTZ,[]

-- query
PREPARE objects AS SELECT count(*) AS n FROM lagoa_catalog(); EXECUTE objects
-- expect
n
5

-- drop: daily
-- query
SELECT count(*) AS n FROM lagoa_catalog()
-- expect
n
3
