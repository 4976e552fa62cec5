-- Time travel: NAME@vN is version N of a lake table, NAME@<RFC 3339 time> the version current at
-- that time; either reads the lake's rows of that version only (no log tail).

-- stream: t {"schema": "id BIGINT, tag VARCHAR"}

-- events: t
{"id": 0, "tag": "a"}
{"id": 1, "tag": "b"}
{"id": 2, "tag": "a"}

-- load: t

-- events: t
{"id": 3, "tag": "c"}
{"id": 4, "tag": "c"}

-- load: t

-- events: t
{"id": 5, "tag": "d"}


-- query
SELECT count(*) AS n, max(id) AS top FROM "t@v0"
-- expect
n,top
0,

-- query
SELECT count(*) AS n, max(id) AS top FROM "t@v1"
-- expect
n,top
3,2

-- query
SELECT id, tag, _offset FROM "t@v2" ORDER BY id
-- expect
id,tag,_offset
0,a,0
1,b,1
2,a,2
3,c,3
4,c,4

-- The stream itself: the latest version plus the tail.
-- query
SELECT count(*) AS n, max(id) AS top FROM t
-- expect
n,top
6,5

-- A time after every commit: the latest version (2), without the tail.
-- query
SELECT count(*) AS n FROM "t@2100-01-01T00:00:00Z"
-- expect
n
5

-- Joins across versions: what the second load added.
-- query
SELECT id FROM "t@v2" EXCEPT SELECT id FROM "t@v1" ORDER BY id
-- expect
id
3
4

-- query
SELECT count(*) FROM "t@v9"
-- error: version 9

-- query
SELECT count(*) FROM "t@1999-01-01T00:00:00Z"
-- error: the earliest commit in its log is version 0

-- query
SELECT count(*) FROM "t@yesterday"
-- error: after '@' comes a version (v12) or an RFC 3339 time
