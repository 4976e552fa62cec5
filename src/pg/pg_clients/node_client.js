// node-postgres against lagoa's PostgreSQL front door (pg_server_test): simple queries,
// parameterized (extended) queries, types, an error, and a transaction. Prints "NODE OK".
const { Client } = require('pg');
const assert = require('assert');

async function main() {
  const client = new Client({ host: '127.0.0.1', port: Number(process.argv[2]), user: 'tester', database: 'lagoa' });
  await client.connect();
  await client.query('CREATE TABLE events (id BIGINT, kind VARCHAR, amount DOUBLE, ts TIMESTAMP)');
  const inserted = await client.query('INSERT INTO events VALUES ($1, $2, $3, $4)', [1, 'click', 2.5, '2026-01-02 03:04:05']);
  assert.strictEqual(inserted.rowCount, 1);
  await client.query("INSERT INTO events VALUES (2, 'view', NULL, '2026-01-03 00:00:00')");
  const res = await client.query('SELECT id, kind, amount, ts FROM events WHERE id >= $1 ORDER BY id', [1]);
  assert.strictEqual(res.rows.length, 2);
  assert.strictEqual(res.rows[0].kind, 'click');
  assert.strictEqual(res.rows[0].amount, 2.5);
  assert.strictEqual(res.rows[1].amount, null);
  assert.strictEqual(res.fields[0].dataTypeID, 20);
  assert.ok(res.rows[0].ts instanceof Date);
  // Parameters node-postgres sends untyped are text where DuckDB cannot tell their type.
  const untyped = await client.query('SELECT $1 AS t, $2::BIGINT + 1 AS n', ['x', 41]);
  assert.deepStrictEqual(untyped.fields.map((f) => [f.name, f.dataTypeID]), [['t', 25], ['n', 20]]);
  assert.deepStrictEqual(untyped.rows[0], { t: 'x', n: '42' });
  const count = await client.query('SELECT count(*)::INTEGER AS n FROM events');
  assert.strictEqual(count.rows[0].n, 2);
  await assert.rejects(client.query('SELECT * FROM nope'), (e) => e.code === '42P01');
  // A lake table's write commits on its own: inside a transaction it is refused.
  await client.query('BEGIN');
  await assert.rejects(client.query("INSERT INTO events VALUES (3, 'buy', 9.0, NULL)"),
                       (e) => e.message.includes('cannot be part of a transaction'));
  await client.query('ROLLBACK');
  await client.query('CREATE TEMP TABLE scratch (id BIGINT)');
  await client.query('BEGIN');
  await client.query('INSERT INTO scratch VALUES (3)');
  await client.query('ROLLBACK');
  const after = await client.query('SELECT (SELECT count(*) FROM events)::INTEGER AS n, (SELECT count(*) FROM scratch)::INTEGER AS s');
  assert.deepStrictEqual(after.rows[0], { n: 2, s: 0 });
  await client.end();
  console.log('NODE OK');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
