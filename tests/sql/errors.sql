-- Errors keep DuckDB's message and position; a failed statement harms nothing after it.

-- stream: ev {"schema": "id BIGINT, name VARCHAR, ts TIMESTAMPTZ"}
-- events: ev
{"id": 1, "name": "one", "ts": "2026-11-25T10:00:00Z"}

-- query
SELEC id FROM ev
-- error: Parser Error: syntax error at or near "SELEC"

-- The position: DuckDB's LINE 1 and a caret under the error.
-- query
SELECT 1 FROM ev WHERE id = = 1
-- error: syntax error at or near "="\n\nLINE 1: SELECT 1 FROM ev WHERE id = = 1\n                                    ^

-- query
SELECT idd FROM ev
-- error: Binder Error: Referenced column "idd" not found in FROM clause

-- query
SELECT * FROM nowhere
-- error: Catalog Error: Table with name nowhere does not exist

-- query
SELECT CAST(name AS INTEGER) FROM ev
-- error: Conversion Error: Could not convert string 'one' to INT32

-- query
SELECT CAST('2026-13-45' AS DATE)
-- error: Conversion Error: date field value out of range

-- query
SELECT ts + 1 FROM ev
-- error: Binder Error: No function matches the given name and argument types

-- The failing statement of a text is named.
-- query
SELECT 1; SELECT * FROM nowhere
-- error: statement 2: Catalog Error

-- Streams are append-only.
-- query
DELETE FROM ev WHERE id = 1
-- error: stream "ev" is append-only

-- query
UPDATE ev SET name = 'x'
-- error: stream "ev" is append-only

-- query
SELECT id, name FROM ev
-- expect
id,name
1,one
