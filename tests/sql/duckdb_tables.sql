-- DuckDB's own tables, views and DML next to streams: tables named in DuckDB's in-memory
-- catalog (memory.NAME; an unqualified CREATE TABLE makes a lake table, see lake_tables.sql) and
-- TEMP tables. They outlive a request but not a restart (nor a -- load).

-- stream: orders {"schema": "id BIGINT, customer VARCHAR, amount DECIMAL(10,2)"}
-- events: orders
{"id": 1, "customer": "ann", "amount": "10.50"}
{"id": 2, "customer": "bob", "amount": "3.25"}
{"id": 3, "customer": "ann", "amount": "1.00"}
-- load: orders
-- events: orders
{"id": 4, "customer": "cid", "amount": "7.75"}

-- statement
CREATE TABLE memory.customers (name VARCHAR PRIMARY KEY, city VARCHAR)

-- statement
INSERT INTO customers VALUES ('ann', 'Lisbon'), ('bob', 'Porto'), ('cid', 'Faro')

-- query
SELECT * FROM customers ORDER BY name
-- expect
name,city
ann,Lisbon
bob,Porto
cid,Faro

-- A stream joined with a table, both sides of the live-tail boundary.
-- split: orders lake=3 tail=1
-- query
SELECT c.city, sum(o.amount) AS total, count(*) AS n FROM orders o JOIN customers c ON c.name = o.customer
GROUP BY c.city ORDER BY c.city
-- expect
city,total,n
Faro,7.75,1
Lisbon,11.50,2
Porto,3.25,1

-- CREATE TABLE AS from a stream copies the rows at that moment.
-- statement
CREATE TABLE memory.order_copy AS SELECT id, customer, amount, _offset FROM orders

-- A view over a stream is evaluated at each query: it sees later events.
-- statement
CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 5

-- events: orders
{"id": 5, "customer": "bob", "amount": "99.99"}

-- query
SELECT count(*) AS n, max(_offset) AS hi FROM order_copy
-- expect
n,hi
4,3

-- query
SELECT * FROM big_orders ORDER BY id
-- expect
id,amount
1,10.50
4,7.75
5,99.99

-- statement
UPDATE customers SET city = 'Braga' WHERE name = 'bob'

-- statement
DELETE FROM order_copy WHERE customer = 'ann'

-- statement
INSERT INTO order_copy SELECT id, customer, amount, _offset FROM orders WHERE id = 5

-- query
SELECT o.id, c.city FROM order_copy o JOIN customers c ON c.name = o.customer ORDER BY o.id
-- expect
id,city
2,Braga
4,Faro
5,Braga

-- statement
ALTER TABLE customers ADD COLUMN vip BOOLEAN DEFAULT false

-- query
SELECT name, vip FROM customers WHERE name = 'cid'
-- expect
name,vip
cid,false

-- EXPLAIN shows both sides of a stream: the log tail and the lake's Parquet files.
-- query
EXPLAIN SELECT count(*) FROM orders
-- expect contains
LAGOA_TAIL
READ_PARQUET

-- Several statements in one request: the last one's rows are the answer.
-- query
CREATE TEMP TABLE scratch AS SELECT 1 AS x; INSERT INTO scratch VALUES (2); SELECT sum(x) AS s FROM scratch
-- expect
s
3

-- statement
DROP VIEW big_orders

-- query
SELECT * FROM big_orders
-- error: Table with name big_orders does not exist

-- statement
DROP TABLE order_copy
