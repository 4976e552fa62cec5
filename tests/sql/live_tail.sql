-- The live-tail boundary: a stream is its lake snapshot's files UNION ALL the events after the
-- snapshot's txn offsets. Events only in the log, only in the lake, and split between both must
-- read the same: each event once, _offset contiguous in each partition.

-- stream: t {"schema": "id BIGINT, tag VARCHAR"}
-- stream: p3 {"schema": "id BIGINT", "partitions": 3}
-- stream: daily {"schema": "n INTEGER, at TIMESTAMPTZ", "lake": {"partition_by": "date(at)"}}
-- stream: evo {"infer": true}

-- events: t
{"id": 0, "tag": "a"}
{"id": 1, "tag": "b"}
{"id": 2, "tag": "a"}

-- Each POST goes to one partition (round robin).
-- events: p3
{"id": 1}
{"id": 2}
-- events: p3
{"id": 3}
-- events: p3
{"id": 4}
{"id": 5}
{"id": 6}

-- events: daily
{"n": 1, "at": "2026-11-25T23:59:59Z"}
{"n": 2, "at": null}

-- events: evo
{"a": 1, "s": "x"}

-- Only in the log (no lake table yet).
-- split: t lake=0 tail=3
-- query
SELECT id, tag, _offset, _partition FROM t ORDER BY id
-- expect
id,tag,_offset,_partition
0,a,0,0
1,b,1,0
2,a,2,0

-- load: t p3 daily evo

-- Only in the lake.
-- split: t lake=3 tail=0
-- query
SELECT id, tag, _offset, _partition FROM t ORDER BY id
-- expect
id,tag,_offset,_partition
0,a,0,0
1,b,1,0
2,a,2,0

-- events: t
{"id": 3, "tag": "b"}
{"id": 4, "tag": "a"}

-- Split: offsets 0-2 in the lake, 3-4 in the log. No duplicate and no gap at the boundary.
-- split: t lake=3 tail=2
-- query
SELECT id, tag, _offset FROM t ORDER BY _offset
-- expect
id,tag,_offset
0,a,0
1,b,1
2,a,2
3,b,3
4,a,4

-- split: t lake=3 tail=2
-- query
SELECT count(*) AS n, count(DISTINCT _offset) AS offsets, min(_offset) AS lo, max(_offset) AS hi FROM t
-- expect
n,offsets,lo,hi
5,5,0,4

-- Filters, aggregates and joins across the boundary.
-- split: t lake=3 tail=2
-- query
SELECT tag, count(*) AS n, sum(id) AS ids FROM t WHERE _offset BETWEEN 2 AND 3 GROUP BY tag ORDER BY tag
-- expect
tag,n,ids
a,1,2
b,1,3

-- split: t lake=3 tail=2
-- query
SELECT a.id, b.id AS next_id FROM t a JOIN t b ON b._offset = a._offset + 1 ORDER BY a.id
-- expect
id,next_id
0,1
1,2
2,3
3,4

-- Several partitions, each split between the lake and the log.
-- events: p3
{"id": 7}
-- events: p3
{"id": 8}
{"id": 9}
-- events: p3
{"id": 10}

-- split: p3 lake=6 tail=4
-- query
SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(id) AS total,
       count(DISTINCT (_partition, _offset)) AS positions,
       bool_and(n_p = hi_p + 1) AS contiguous
FROM (SELECT *, count(*) OVER (PARTITION BY _partition) AS n_p,
             max(_offset) OVER (PARTITION BY _partition) AS hi_p FROM p3)
-- expect
n,ids,total,positions,contiguous
10,10,55,10,true

-- A stream partitioned by date(col): tail rows get the _date the loader gives lake rows.
-- events: daily
{"n": 3, "at": "2026-11-25T12:00:00Z"}
{"n": 4, "at": "2026-11-26T00:00:00Z"}
{"n": 5, "at": null}

-- split: daily lake=2 tail=3
-- query
SELECT n, _date, _offset FROM daily ORDER BY n
-- expect
n,_date,_offset
1,2026-11-25,0
2,,1
3,2026-11-25,2
4,2026-11-26,3
5,,4

-- split: daily lake=2 tail=3
-- query
SELECT _date, count(*) AS n FROM daily GROUP BY _date ORDER BY _date NULLS LAST
-- expect
_date,n
2026-11-25,2
2026-11-26,1
,2

-- Schema evolution: rows loaded before an inferred stream gained a column read NULL there.
-- events: evo
{"a": 2, "s": "y", "b": true}

-- split: evo lake=1 tail=1
-- query
SELECT a, s, b FROM evo ORDER BY a
-- expect
a,s,b
1,x,
2,y,true

-- A load moves the tails into the lake; the answers stay.
-- load: t evo
-- split: t lake=5 tail=0
-- query
SELECT count(*) AS n, count(DISTINCT _offset) AS offsets, sum(id) AS ids, max(_offset) AS hi FROM t
-- expect
n,offsets,ids,hi
5,5,10,4

-- split: evo lake=2 tail=0
-- query
SELECT a, s, b FROM evo ORDER BY a
-- expect
a,s,b
1,x,
2,y,true
