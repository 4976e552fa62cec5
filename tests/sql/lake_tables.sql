-- Lake tables: an unqualified CREATE TABLE makes a Delta table lagoa owns (<data>/tables/NAME/);
-- INSERT, COPY FROM, UPDATE, DELETE, TRUNCATE, ALTER TABLE … ADD COLUMN and DROP TABLE commit to
-- it through the lake; it survives restarts and has versions for time travel.

-- stream: orders {"schema": "id BIGINT, customer VARCHAR, amount DECIMAL(10,2)"}
-- events: orders
{"id": 1, "customer": "ann", "amount": "10.50"}
{"id": 2, "customer": "bob", "amount": "3.25"}
-- load: orders
-- events: orders
{"id": 3, "customer": "ann", "amount": "1.00"}

-- Types DuckDB has and lake tables lack are widened: SMALLINT to INTEGER, FLOAT to DOUBLE.
-- statement
CREATE TABLE customers (name VARCHAR, city VARCHAR, since DATE, rank SMALLINT, score FLOAT)

-- query
SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'customers' ORDER BY ordinal_position
-- expect
column_name,data_type
name,VARCHAR
city,VARCHAR
since,DATE
rank,INTEGER
score,DOUBLE

-- statement
INSERT INTO customers VALUES ('ann', 'Lisbon', '2020-01-02', 1, 0.5), ('bob', 'Porto', NULL, 2, NULL)

-- A column list: the other columns are NULL.
-- statement
INSERT INTO customers (name, city) VALUES ('cid', 'Faro')

-- query
SELECT * FROM customers ORDER BY name
-- expect
name,city,since,rank,score
ann,Lisbon,2020-01-02,1,0.5
bob,Porto,,2,
cid,Faro,,,

-- A lake table joined with a stream, across the stream's live-tail boundary.
-- split: orders lake=2 tail=1
-- query
SELECT c.city, sum(o.amount) AS total FROM orders o JOIN customers c ON c.name = o.customer GROUP BY c.city ORDER BY c.city
-- expect
city,total
Lisbon,11.50
Porto,3.25

-- INSERT … SELECT and CREATE TABLE … AS read streams (lake and tail) like any query.
-- statement
CREATE TABLE order_totals AS SELECT customer, sum(amount) AS total, count(*) AS n FROM orders GROUP BY customer

-- query
SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'order_totals' ORDER BY ordinal_position
-- expect
column_name,data_type
customer,VARCHAR
total,"DECIMAL(38,2)"
n,BIGINT

-- The catalog keeps what it was made from (lineage); a table of columns has none.
-- query
SELECT name, kind, derived_from, definition LIKE 'CREATE TABLE order_totals AS SELECT%' AS sql_kept
FROM lagoa_catalog() WHERE kind = 'table' ORDER BY name
-- expect
name,kind,derived_from,sql_kept
customers,table,[],false
order_totals,table,[orders],true

-- events: orders
{"id": 4, "customer": "dan", "amount": "2.00"}

-- statement
INSERT INTO order_totals SELECT customer, amount, 1 FROM orders WHERE id = 4

-- query
SELECT * FROM order_totals ORDER BY customer
-- expect
customer,total,n
ann,11.50,2
bob,3.25,1
dan,2.00,1

-- UPDATE runs DuckDB's SET on the matching rows and rewrites their files.
-- statement
UPDATE customers SET city = upper(city), rank = rank + 10 WHERE name <> 'cid'

-- query
SELECT name, city, rank FROM customers ORDER BY name
-- expect
name,city,rank
ann,LISBON,11
bob,PORTO,12
cid,Faro,

-- statement
DELETE FROM customers WHERE city = 'PORTO'

-- ADD COLUMN: rows written before it read NULL.
-- statement
ALTER TABLE customers ADD COLUMN vip BOOLEAN

-- statement
INSERT INTO customers (name, vip) VALUES ('eve', true)

-- query
SELECT name, city, vip FROM customers ORDER BY name
-- expect
name,city,vip
ann,LISBON,
cid,Faro,
eve,,true

-- A lake table survives a restart (the load restarts the server).
-- load: orders

-- query
SELECT count(*) AS n FROM customers
-- expect
n
3

-- Every write is a version: v0 created the table, v1 and v2 inserted, v3 updated, v4 deleted.
-- query
SELECT name, city FROM "customers@v3" ORDER BY name
-- expect
name,city
ann,LISBON
bob,PORTO
cid,Faro

-- query
SELECT count(*) AS n FROM "customers@v0"
-- expect
n
0

-- statement
TRUNCATE customers

-- query
SELECT count(*) AS n FROM customers
-- expect
n
0

-- Errors: names taken, types without a lake type, DuckDB's own errors naming the table.
-- statement
CREATE TABLE orders (x INTEGER)
-- error: CREATE TABLE: "orders" is the name of a stream; drop it first or choose another name

-- Names ignore case, as SQL's do.
-- statement
CREATE TABLE ORDERS (x INTEGER)
-- error: CREATE TABLE: "ORDERS" is the name of a stream (spelled "orders"; names ignore case)

-- statement
CREATE TABLE IF NOT EXISTS customers (x INTEGER)

-- statement
CREATE TABLE strict (id INTEGER NOT NULL)
-- error: lake tables keep no NOT NULL, PRIMARY KEY, UNIQUE or DEFAULT

-- A write to a lake table is a commit of its own, so it is refused inside a transaction.
-- statement
BEGIN; INSERT INTO order_totals VALUES ('x', 1, 1)
-- error: cannot be part of a transaction

-- statement
CREATE TABLE defaults (id INTEGER DEFAULT 7)
-- error: lake tables keep no NOT NULL, PRIMARY KEY, UNIQUE or DEFAULT

-- A WHERE must hold one condition: an empty or unbalanced one would change every row.
-- statement
DELETE FROM order_totals WHERE
-- error: expected a condition after WHERE

-- statement
DELETE FROM order_totals WHERE n = 1) OR (true
-- error: Parser Error: syntax error at or near ")"

-- statement
UPDATE order_totals SET n = 0 WHERE
-- error: expected a condition after WHERE

-- statement
DELETE FROM order_totals WHERE n = $1
-- error: parameters ($1, ?) are not supported

-- statement
CREATE TABLE blobs (b BLOB)
-- error: column "b" has type BLOB, which a lake table cannot hold

-- statement
INSERT INTO order_totals VALUES ('x', 1)
-- error: table order_totals has 3 columns but 2 values were supplied

-- statement
INSERT INTO order_totals VALUES ('x', 'not a number', 1)
-- error: Could not convert string "not a number" to DECIMAL(38,2)

-- statement
UPDATE order_totals SET n = 0 FROM customers
-- error: FROM is not supported for lake tables

-- statement
CREATE OR REPLACE TABLE IF NOT EXISTS order_totals (x INTEGER)
-- error: choose one of OR REPLACE and IF NOT EXISTS

-- statement
DELETE FROM order_totals WHERE no_such_column = 1
-- error: Referenced column "no_such_column" not found

-- statement
ALTER TABLE order_totals ADD COLUMN total INTEGER
-- error: the table already has a column "total"

-- A failed write changed nothing.
-- query
SELECT count(*) AS n FROM order_totals
-- expect
n
3

-- Names match as DuckDB matches identifiers, ignoring case; IS DISTINCT FROM is a condition.
-- statement
UPDATE ORDER_TOTALS SET n = n + 1 WHERE customer IS DISTINCT FROM 'ann'

-- query
SELECT customer, n FROM order_totals ORDER BY customer
-- expect
customer,n
ann,2
bob,2
dan,2

-- statement
DROP TABLE order_totals

-- query
SELECT * FROM order_totals
-- error: Table with name order_totals does not exist

-- statement
DROP TABLE IF EXISTS order_totals

-- The name is free again; the new table starts at version 0.
-- statement
CREATE TABLE order_totals AS SELECT 1 AS one

-- query
SELECT * FROM order_totals
-- expect
one
1
