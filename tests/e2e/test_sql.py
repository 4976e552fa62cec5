"""SQL end to end with the real binary: events acknowledged over HTTP are visible at once, exactly
once, over POST /v1/sql and over psql while the lake loader commits in the background (and after
it moved everything into the lake, and across a restart); schema evolution; the /v1/sql formats,
parameters and errors (400/405/408); `lagoa sql` (-c, -f, the shell on stdin, --format, exit
codes); psql against streams (\\d, cancel).

The read-your-writes check is exact without assuming an order between partitions: before each
query the test notes how many ids were acknowledged (ids are sent in order by one writer); the
query must see every one of them, each once, and nothing that was never sent."""

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import threading
import time

import lagoa_harness as h

LOAD_FLAGS = ["--lake-load-interval-ms", "200"]


def psql_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGCONNECT_TIMEOUT"] = "10"
    return env


def psql(server, *commands, tuples=True, timeout=60):
    """Runs `psql -X -h 127.0.0.1 -p PORT -U x -d lagoa [-At] -c C …` against `server`."""
    cmd = ["psql", "-X", "-h", "127.0.0.1", "-p", str(server.pg_port), "-U", "x", "-d", "lagoa"]
    if tuples:
        cmd.append("-At")
    for c in commands:
        cmd += ["-c", c]
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=psql_env(),
                          timeout=timeout, text=True)


def sql(server, text, fmt=None, params=None, timeout=h.HTTP_TIMEOUT_S):
    """POST /v1/sql; returns (status, body text, headers)."""
    path = "/v1/sql" + (f"?format={fmt}" if fmt else "")
    if params is not None:
        body, headers = json.dumps({"sql": text, "params": params}), {"Content-Type": "application/json"}
    else:
        body, headers = text, {"Content-Type": "text/plain"}
    status, headers, data = server.request("POST", path, body, headers, timeout)
    return status, data.decode("utf-8"), headers


def ids_events(start, count):
    return "".join(json.dumps({"id": i, "payload": f"p{i}"}) + "\n" for i in range(start, start + count))


class SqlTestBase(h.ServerTestCase):
    def sql_rows(self, server, text, params=None):
        """Runs `text` (JSON format); asserts 200; returns the rows."""
        status, body, _ = sql(server, text, params=params)
        self.assertEqual(status, 200, f"{text}\n-> {status} {body}\n{server.stderr_tail()}")
        return json.loads(body)["rows"]

    def psql_ok(self, server, *commands, tuples=True):
        r = psql(server, *commands, tuples=tuples)
        self.assertEqual(r.returncode, 0, f"psql {commands}: exit {r.returncode}\n{r.stdout}\n{r.stderr}\n"
                                          f"{server.stderr_tail()}")
        return r.stdout

    def sql_cli(self, server, *args, input=None, expect=0, url=None):
        r = h.run_cli(["sql", *args], url=url or server.url, input=input.encode() if input is not None else None)
        r.stdout, r.stderr = r.stdout.decode(), r.stderr.decode()
        self.assertEqual(r.returncode, expect, f"lagoa sql {args}: exit {r.returncode}\n{r.stdout}\n{r.stderr}")
        return r

    def table(self, server, name):
        status, body, _ = server.json("GET", f"/v1/tables/{name}")
        return body if status == 200 else None

    def lake_rows(self, server, name):
        """Events the stream's lake table holds by its txns (sum over partitions of version + 1)."""
        table = self.table(server, name)
        if table is None:
            return 0
        return sum(v + 1 for app, v in table.get("applications", {}).items() if app.startswith(f"lagoa:{name}:"))

    def next_offsets(self, server, name):
        status, body, _ = server.json("GET", f"/v1/streams/{name}")
        self.assertEqual(status, 200, body)
        return {p["partition"]: p["next_offset"] for p in body["partitions"]}

    def wait_all_in_lake(self, server, name, timeout_s=60):
        """Until the lake's txns cover every offset the log holds, and its files hold those rows."""
        want = sum(self.next_offsets(server, name).values())
        deadline = time.monotonic() + timeout_s
        table = None
        while time.monotonic() < deadline:
            table = self.table(server, name)
            if table is not None and self.lake_rows(server, name) == want and table.get("rows") == want:
                return table
            time.sleep(0.05)
        self.fail(f"the lake never held all {want} events of {name}: {table}\n{server.stderr_tail()}")


class ReadYourWritesTest(SqlTestBase):
    start_class_server = False

    def check_exact(self, server, name, total):
        """Every id 0..total-1 once, over HTTP and over psql, and contiguous offsets per partition."""
        query = f"SELECT count(*), count(DISTINCT id), sum(id), min(id), max(id) FROM {name}"
        want = [total, total, total * (total - 1) // 2, 0, total - 1]
        self.assertEqual(self.sql_rows(server, query)[0], want)
        self.assertEqual(self.psql_ok(server, query).strip(), "|".join(str(v) for v in want))
        offsets = self.next_offsets(server, name)
        rows = self.sql_rows(server, f"SELECT _partition, count(*), count(DISTINCT _offset), min(_offset), "
                                     f"max(_offset) FROM {name} GROUP BY 1 ORDER BY 1")
        self.assertEqual(rows, [[p, n, n, 0, n - 1] for p, n in sorted(offsets.items()) if n > 0],
                         f"offsets per partition must be 0..next-1, each once (log: {offsets})")

    def test_acknowledged_events_are_visible_at_once_exactly_once_while_the_loader_commits(self):
        data_dir = self.tmp_path("data")
        # Loads every 500 ms: often enough that the loader commits while the queries run, seldom
        # enough that a query finds acknowledged events still in the tail (a loader that keeps up
        # within 200 ms left none for a query under ASan to see).
        server = self.start_server(["--lake-load-interval-ms", "500"], data_dir=data_dir)
        server.create_stream("rw", "id BIGINT, payload VARCHAR", partitions=3)

        batch = 40
        batches_max = h.scaled(300, minimum=20)
        state = {"acked": 0, "sent": 0, "done": False}
        lock = threading.Lock()
        writer_errors = []

        def writer():
            try:
                for _ in range(batches_max):
                    with lock:
                        start = state["sent"]
                        state["sent"] = start + batch  # before the POST: what a query may see
                    status, reply, _ = server.post_events("rw", ids_events(start, batch))
                    if status != 200 or reply["accepted"] != batch:
                        writer_errors.append(f"POST -> {status} {reply}")
                        return
                    with lock:
                        state["acked"] = start + batch
                    # Read-your-writes from the writer itself: the batch just acknowledged.
                    status, body, _ = sql(server, f"SELECT count(*), count(DISTINCT id) FROM rw "
                                                  f"WHERE id BETWEEN {start} AND {start + batch - 1}")
                    if status != 200 or json.loads(body)["rows"] != [[batch, batch]]:
                        writer_errors.append(f"ids {start}..{start + batch - 1} right after their "
                                             f"acknowledgement: {status} {body}")
                        return
            except Exception as e:  # noqa: BLE001 — reported by the main thread
                writer_errors.append(repr(e))
            finally:
                with lock:
                    state["done"] = True

        thread = threading.Thread(target=writer, name="writer")
        thread.start()
        checks = {"http": 0, "psql": 0}
        split_seen = 0  # queries whose snapshot certainly had acknowledged events both in the lake and the tail
        versions = set()
        failures = []
        i = 0
        while True:
            with lock:
                acked, done = state["acked"], state["done"]
            if done:
                break
            lake_before = self.lake_rows(server, "rw")
            query = (f"SELECT count(*), count(DISTINCT id), count(*) FILTER (WHERE id < {acked}), "
                     f"coalesce(min(id), -1), coalesce(max(id), -1) FROM rw")
            via = "psql" if i % 3 == 2 else "http"
            i += 1
            if via == "http":
                status, body, _ = sql(server, query)
                if status != 200:
                    failures.append(f"http: {status} {body}")
                    break
                got = json.loads(body)["rows"][0]
            else:
                r = psql(server, query)
                if r.returncode != 0:
                    failures.append(f"psql: exit {r.returncode} {r.stdout} {r.stderr}")
                    break
                got = [int(v) for v in r.stdout.strip().split("|")]
            lake_after = self.lake_rows(server, "rw")  # at once: the loader may commit any moment
            table = self.table(server, "rw")
            if table is not None and table.get("version") is not None:
                versions.add(table["version"])
            with lock:
                sent_after = state["sent"]
            count, distinct, below, low, high = got
            checks[via] += 1
            if count != distinct:
                failures.append(f"{via}: duplicates: {count} rows, {distinct} distinct ids (acked {acked})")
            if below != acked:
                failures.append(f"{via}: {below} of the {acked} acknowledged ids visible")
            if high >= sent_after or (acked > 0 and low != 0):
                failures.append(f"{via}: ids {low}..{high}, but only 0..{sent_after - 1} were ever sent")
            if 0 < lake_before and lake_after < acked:
                split_seen += 1
            if failures:
                break
        thread.join(timeout=120)
        self.assertFalse(writer_errors, writer_errors)
        self.assertFalse(failures, f"{failures}\n{server.stderr_tail()}")
        total = state["acked"]
        print(f"[sql] {total} events; {checks} checks, {split_seen} with events in both the lake and "
              f"the tail; lake versions seen {sorted(versions)}", flush=True)
        self.assertEqual(total, batch * batches_max)
        self.assertGreaterEqual(checks["http"], 5, checks)
        self.assertGreaterEqual(checks["psql"], 2, checks)
        self.assertGreaterEqual(len(versions), 3, f"the loader must commit while the queries run: {versions}")
        self.assertGreaterEqual(split_seen, 1, "no query ran with events both in the lake and in the tail")

        # Everything in the lake: the same answers.
        self.wait_all_in_lake(server, "rw")
        self.check_exact(server, "rw", total)

        # A restart keeps them; new events land in the tail on top of the lake.
        code, _, killed = server.stop()
        self.assertEqual((code, killed), (0, False))
        server = self.start_server(LOAD_FLAGS, data_dir=data_dir)
        self.check_exact(server, "rw", total)
        status, reply, _ = server.post_events("rw", ids_events(total, batch))
        self.assertEqual(status, 200, reply)
        self.check_exact(server, "rw", total + batch)


class SqlApiTest(SqlTestBase):
    class_server_args = LOAD_FLAGS

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        s.create_stream("clicks", "id BIGINT, url VARCHAR, kind VARCHAR, ts TIMESTAMPTZ", partitions=2)
        events = [{"id": 1, "url": "/a,b", "kind": "view", "ts": "2026-11-25T10:00:00Z"},
                  {"id": 2, "url": 'say "hi"', "kind": "view", "ts": "2026-11-25T10:30:00.5Z"},
                  {"id": 3, "url": "line1\nline2", "kind": "click", "ts": "2026-11-25T11:15:00Z"},
                  {"id": 4, "url": None, "kind": "click", "ts": "2026-11-26T00:00:00Z"}]
        for e in events:  # one request each: they spread over both partitions
            status, reply, _ = s.post_events("clicks", json.dumps(e) + "\n")
            assert status == 200 and reply["accepted"] == 1, reply

    def test_json_has_typed_columns_rows_and_row_count(self):
        status, body, headers = sql(self.server, "SELECT id, url, ts, id * 1.5 AS f, id > 2 AS big, "
                                                 "DATE '2026-01-02' AS d FROM clicks ORDER BY id")
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("content-type"), "application/json")
        doc = json.loads(body)
        self.assertEqual([(c["name"], c["type"]) for c in doc["columns"]],
                         [("id", "BIGINT"), ("url", "VARCHAR"), ("ts", "TIMESTAMP WITH TIME ZONE"),
                          ("f", "DECIMAL(21,1)"), ("big", "BOOLEAN"), ("d", "DATE")])
        self.assertEqual(doc["rows"], [
            [1, "/a,b", "2026-11-25 10:00:00+00", 1.5, False, "2026-01-02"],
            [2, 'say "hi"', "2026-11-25 10:30:00.5+00", 3.0, False, "2026-01-02"],
            [3, "line1\nline2", "2026-11-25 11:15:00+00", 4.5, True, "2026-01-02"],
            [4, None, "2026-11-26 00:00:00+00", 6.0, True, "2026-01-02"]])
        self.assertEqual(doc["row_count"], 4)
        self.assertIsInstance(doc["elapsed_ms"], int)
        self.assertNotIn("changed_rows", doc, "a SELECT changes no rows")

        # The metadata columns follow the stream's.
        status, body, _ = sql(self.server, "SELECT * FROM clicks LIMIT 0")
        self.assertEqual([c["name"] for c in json.loads(body)["columns"]],
                         ["id", "url", "kind", "ts", "_offset", "_partition", "_ingested_at", "_event_time"])

    def test_ndjson_is_one_object_per_row(self):
        status, body, headers = sql(self.server, "SELECT id, url FROM clicks ORDER BY id", fmt="ndjson")
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("content-type"), "application/x-ndjson")
        self.assertEqual(headers.get("content-length"), str(len(body.encode())), "a small answer is sent whole")
        self.assertTrue(body.endswith("\n"))
        lines = body.split("\n")[:-1]
        self.assertEqual([json.loads(line) for line in lines],
                         [{"id": 1, "url": "/a,b"}, {"id": 2, "url": 'say "hi"'},
                          {"id": 3, "url": "line1\nline2"}, {"id": 4, "url": None}])

    def test_csv_has_a_header_quotes_and_empty_nulls(self):
        status, body, headers = sql(self.server, 'SELECT id, url AS "the,url", kind FROM clicks ORDER BY id',
                                    fmt="csv")
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("content-type"), "text/csv")
        self.assertIsNone(headers.get("transfer-encoding"), "a small answer is sent whole")
        self.assertEqual(body, 'id,"the,url",kind\n'
                               '1,"/a,b",view\n'
                               '2,"say ""hi""",view\n'
                               '3,"line1\nline2",click\n'
                               '4,,click\n')
        self.assertEqual(list(csv.reader(io.StringIO(body)))[3], ["3", "line1\nline2", "click"])
        # A result without rows is the header alone.
        status, body, _ = sql(self.server, "SELECT id, kind FROM clicks WHERE false", fmt="csv")
        self.assertEqual((status, body), (200, "id,kind\n"))

    def test_a_large_answer_is_streamed_and_a_small_one_fails_whole(self):
        # Past the first 256 KiB the rows are streamed with chunked encoding as they come.
        status, body, headers = sql(self.server, "SELECT i, repeat('x', 100) AS pad FROM range(10000) t(i)",
                                    fmt="csv")
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("transfer-encoding"), "chunked", "a large answer is streamed")
        rows = list(csv.reader(io.StringIO(body)))
        self.assertEqual(rows[0], ["i", "pad"])
        self.assertEqual([int(r[0]) for r in rows[1:]], list(range(10000)))
        # A statement that fails after its first chunk of rows (2,048), within the first piece,
        # is still an error answer with DuckDB's message, not a 200 cut short.
        status, body, _ = sql(self.server, "SELECT CASE WHEN i < 3000 THEN i ELSE error('boom at ' || i) END "
                                           "FROM range(5000) t(i)")
        self.assertEqual(status, 400, body)
        self.assertIn("boom at 3000", json.loads(body)["error"])
        self.assertEqual(self.sql_rows(self.server, "SELECT 1"), [[1]], "the server goes on")

    def test_params_fill_dollar_placeholders(self):
        status, body, _ = sql(self.server, "SELECT id, url FROM clicks WHERE kind = $1 AND id > $2 ORDER BY id",
                              params=["click", 2])
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["rows"], [[3, "line1\nline2"], [4, None]])
        status, body, _ = sql(self.server, "SELECT $1::INTEGER + 1 AS a, $2 AS b, $3::VARCHAR IS NULL AS c, "
                                           "$4::DOUBLE AS d, $5::BOOLEAN AS e", params=[41, "x", None, 2.5, True])
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["rows"], [[42, "x", True, 2.5, True]])
        for params, what in (([1], "one parameter for two"), (["x", 2], "a string for an INTEGER")):
            status, body, _ = sql(self.server, "SELECT $1::INTEGER + $2::INTEGER", params=params)
            self.assertEqual(status, 400, f"{what}: {body}")
        status, body, _ = sql(self.server, "SELECT $1; SELECT 2", params=[1])
        self.assertEqual(status, 400, body)
        self.assertIn("exactly one statement", json.loads(body)["error"])

    def test_every_statement_runs_and_the_last_result_is_returned(self):
        status, body, _ = sql(self.server, "CREATE TEMP TABLE tmp_api (a INTEGER); INSERT INTO tmp_api VALUES (1), (2);"
                                           " SELECT sum(a) AS s FROM tmp_api")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["rows"], [[3]])
        # Each request is a fresh session: its temporary table is gone.
        status, body, _ = sql(self.server, "SELECT * FROM tmp_api")
        self.assertEqual(status, 400, body)

    def test_errors_keep_duckdbs_message_and_the_server_goes_on(self):
        s = self.server
        status, body, _ = sql(s, "SELEC id FROM clicks")
        err = self.assert_error_body(status, json.loads(body), 400, "syntax error")
        self.assertIn('Parser Error: syntax error at or near "SELEC"', err)
        self.assertIn("LINE 1: SELEC id FROM clicks", err)

        status, body, _ = sql(s, "SELECT * FROM no_such_stream")
        err = self.assert_error_body(status, json.loads(body), 400, "unknown table")
        self.assertIn("Catalog Error: Table with name no_such_stream does not exist", err)

        status, body, _ = sql(s, "SELECT no_such_column FROM clicks")
        err = self.assert_error_body(status, json.loads(body), 400, "unknown column")
        self.assertIn('Referenced column "no_such_column" not found', err)

        status, body, _ = sql(s, "SELECT 1", fmt="xml")
        err = self.assert_error_body(status, json.loads(body), 400, "bad format")
        self.assertIn("xml", err)

        status, headers, data = s.request("GET", "/v1/sql")
        self.assert_error_body(status, json.loads(data), 405, "GET")
        self.assertEqual(headers.get("allow"), "POST")

        status, headers, data = s.request("POST", "/v1/sql", "{not json", {"Content-Type": "application/json"})
        self.assert_error_body(status, json.loads(data), 400, "bad JSON body")
        status, headers, data = s.request("POST", "/v1/sql", "  -- nothing\n", {"Content-Type": "text/plain"})
        self.assert_error_body(status, json.loads(data), 400, "no statement")

        self.assert_healthy(s)
        self.assertEqual(self.sql_rows(s, "SELECT count(*) FROM clicks"), [[4]])

    def test_a_dropped_stream_is_gone_from_sql(self):
        s = self.server
        s.create_stream("doomed", "a BIGINT")
        status, reply, _ = s.post_events("doomed", '{"a": 1}\n{"a": 2}\n')
        self.assertEqual(status, 200, reply)
        self.assertEqual(self.sql_rows(s, "SELECT sum(a) FROM doomed"), [[3]])
        self.assertIn(["doomed"], self.sql_rows(s, "SHOW TABLES"))
        status, body, _ = s.json("DELETE", "/v1/streams/doomed")
        self.assertEqual(status, 200, body)
        status, body, _ = sql(s, "SELECT sum(a) FROM doomed")
        self.assertEqual(status, 400, body)
        self.assertIn("does not exist", json.loads(body)["error"])
        self.assertNotIn(["doomed"], self.sql_rows(s, "SHOW TABLES"))
        self.assertNotEqual(psql(s, "SELECT count(*) FROM doomed").returncode, 0)
        # The name again, another schema: none of the old events.
        s.create_stream("doomed", "b VARCHAR")
        status, reply, _ = s.post_events("doomed", '{"b": "new"}\n')
        self.assertEqual(status, 200, reply)
        self.assertEqual(self.sql_rows(s, "SELECT b, _offset FROM doomed"), [["new", 0]])

    def test_dml_reports_changed_rows_not_a_count_column(self):
        s = self.server
        status, body, _ = sql(s, "CREATE TABLE dml_t (a INTEGER); INSERT INTO dml_t VALUES (1), (2)")
        self.assertEqual(status, 200, body)
        doc = json.loads(body)
        self.assertEqual(doc["changed_rows"], 2, doc)
        self.assertEqual((doc["columns"], doc["rows"]), ([], []),
                         f"an INSERT returns changed_rows, not DuckDB's Count column: {doc}")
        r = self.sql_cli(s, "-c", "INSERT INTO dml_t VALUES (3), (4), (5)")
        self.assertEqual(r.stdout, "3 rows changed\n")
        r = self.sql_cli(s, "-c", "CREATE TABLE dml_u (a INTEGER)")
        self.assertEqual(r.stdout, "OK\n")

    def test_a_lake_table_made_by_sql_is_a_table_of_the_rest_api_and_psql(self):
        s = self.server
        status, body, _ = sql(s, "CREATE TABLE rest_t (a INTEGER, b VARCHAR)")
        self.assertEqual(status, 200, body)
        for i in range(3):  # three appends: three files to compact
            status, body, _ = sql(s, f"INSERT INTO rest_t VALUES ({i}, 'v{i}')")
            self.assertEqual(status, 200, body)
        status, listed, _ = s.json("GET", "/v1/tables")
        self.assertEqual(status, 200, listed)
        mine = [t for t in listed["tables"] if t["name"] == "rest_t"]
        self.assertEqual(len(mine), 1, listed)
        self.assertEqual((mine[0]["kind"], mine[0]["version"], mine[0]["files"]), ("table", 3, 3), mine[0])
        status, compacted, _ = s.json("POST", "/v1/tables/rest_t/compact", {})
        self.assertEqual(status, 200, compacted)
        self.assertEqual(self.sql_rows(s, "SELECT count(*), string_agg(b, ',' ORDER BY a) FROM rest_t"),
                         [[3, "v0,v1,v2"]])
        status, described, _ = s.json("GET", "/v1/tables/rest_t")
        self.assertEqual((status, described["files"]), (200, 1), described)
        r = psql(s, "SELECT b FROM rest_t WHERE a = 1")
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "v1"), r.stderr)
        # Streams and tables share one namespace, also through the REST API (names ignore case).
        status, refused, _ = s.json("PUT", "/v1/streams/REST_T", {"schema": "x BIGINT"})
        self.assertEqual(status, 409, refused)
        self.assertIn("a table made by SQL", refused["error"])
        status, refused, _ = s.json("POST", "/v1/tables", {"name": "rest_t", "path": described["path"]})
        self.assertEqual(status, 409, refused)
        self.assertIn("a table made by SQL", refused["error"])
        status, body, _ = sql(s, "DROP TABLE rest_t")
        self.assertEqual(status, 200, body)
        status, missing, _ = s.json("GET", "/v1/tables/rest_t")
        self.assertEqual(status, 404, missing)


class SqlTimeoutTest(SqlTestBase):
    class_server_args = ["--sql-statement-timeout-ms", "500"]

    def test_a_statement_past_the_timeout_gets_408_and_the_server_goes_on(self):
        s = self.server
        t0 = time.monotonic()
        status, body, _ = sql(s, "SELECT count(*) FROM range(100000000000000)")
        seconds = time.monotonic() - t0
        err = self.assert_error_body(status, json.loads(body), 408, "timeout")
        self.assertIn("timeout", err)
        self.assertLess(seconds, 15, "the statement was not interrupted near its 500 ms timeout")
        self.assertEqual(self.sql_rows(s, "SELECT 42"), [[42]])
        r = psql(s, "SELECT count(*) FROM range(100000000000000)")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("timeout", r.stderr)
        self.assertEqual(self.psql_ok(s, "SELECT 7").strip(), "7")
        self.assert_healthy(s)


class SqlCliTest(SqlTestBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.create_stream("cli", "n BIGINT, s VARCHAR")
        status, reply, _ = cls.server.post_events("cli", '{"n": 1, "s": "abc"}\n{"n": 100, "s": null}\n')
        assert status == 200, reply

    def test_c_prints_an_aligned_table(self):
        r = self.sql_cli(self.server, "-c", "SELECT n, s, n * 1.5::DOUBLE AS d FROM cli ORDER BY n")
        self.assertEqual(r.stdout, "n   | s    | d\n"
                                   "----+------+------\n"
                                   "  1 | abc  |   1.5\n"
                                   "100 | NULL | 150.0\n"
                                   "(2 rows)\n")
        r = self.sql_cli(self.server, "-c", "SELECT 'x' AS only")
        self.assertEqual(r.stdout, "only\n----\nx\n(1 row)\n")

    def test_format_csv_and_json(self):
        r = self.sql_cli(self.server, "-c", "SELECT n, s FROM cli ORDER BY n", "--format", "csv")
        self.assertEqual(r.stdout, "n,s\n1,abc\n100,\n")
        r = self.sql_cli(self.server, "-c", "SELECT n, s FROM cli ORDER BY n", "--format", "json")
        self.assertEqual([json.loads(line) for line in r.stdout.splitlines()],
                         [{"n": 1, "s": "abc"}, {"n": 100, "s": None}])
        r = h.run_cli(["sql", "-c", "SELECT 1", "--format", "xml"], url=self.server.url)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"xml", r.stderr)

    def test_f_runs_every_statement_of_a_file(self):
        path = self.tmp_path("script.sql")
        with open(path, "w") as f:
            f.write("-- a script\nCREATE TABLE cli_f (a INTEGER, b VARCHAR);\n"
                    "INSERT INTO cli_f VALUES (1, 'one'), (2, 'two;2');\n"
                    "INSERT INTO cli_f SELECT n, s FROM cli;\n"
                    "SELECT a, b FROM cli_f ORDER BY a, b;\n")
        r = self.sql_cli(self.server, "-f", path)
        self.assertEqual(r.stdout, "a   | b\n----+------\n  1 | abc\n  1 | one\n  2 | two;2\n100 | NULL\n(4 rows)\n")
        self.sql_cli(self.server, "-f", self.tmp_path("missing.sql"), expect=2)

    def test_the_shell_reads_statements_from_stdin(self):
        script = ("SELECT 1\n"
                  "  + 2 AS three;\n"
                  "\n"
                  "SELECT 'a;b' AS s, -- a comment; not the end\n"
                  "  count(*) AS c FROM cli;\n"
                  "SELECT max(n) AS m FROM cli\n")  # the last one lacks its ';'
        r = self.sql_cli(self.server, input=script)
        self.assertEqual(r.stdout, "three\n-----\n    3\n(1 row)\n"
                                   "s   | c\n----+--\na;b | 2\n(1 row)\n"
                                   "m\n---\n100\n(1 row)\n")

    def test_exit_codes(self):
        r = self.sql_cli(self.server, "-c", "SELECT * FROM cli WHERE", expect=1)
        self.assertIn("syntax error", r.stderr)
        self.assertEqual(r.stdout, "")
        r = self.sql_cli(self.server, "-c", "SELECT * FROM nowhere", expect=1)
        self.assertIn("nowhere does not exist", r.stderr)
        # An unreachable server: a port nothing listens on.
        r = self.sql_cli(self.server, "-c", "SELECT 1", url="http://127.0.0.1:1", expect=2)
        self.assertIn("cannot connect", r.stderr)
        r = self.sql_cli(self.server, input="SELECT 1;\n", url="http://127.0.0.1:1", expect=2)


class PsqlTest(SqlTestBase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("psql") is None:
            raise AssertionError("psql is missing (Debian: postgresql-client; scripts/bootstrap installs it)")
        super().setUpClass()
        s = cls.server
        s.create_stream("pgs", "id BIGINT, kind VARCHAR, amount DOUBLE, ts TIMESTAMPTZ", partitions=2)
        lines = [json.dumps({"id": i, "kind": "abc"[i % 3], "amount": i / 4,
                             "ts": f"2026-11-25T{10 + i % 4:02d}:{i % 60:02d}:00Z"}) for i in range(1, 61)]
        for chunk in range(0, 60, 20):
            status, reply, _ = s.post_events("pgs", "\n".join(lines[chunk:chunk + 20]) + "\n")
            assert status == 200 and reply["accepted"] == 20, reply

    def test_psql_counts_groups_and_timestamps(self):
        s = self.server
        self.assertEqual(self.psql_ok(s, "SELECT count(*), sum(id) FROM pgs"), "60|1830\n")
        sums = {k: sum(i / 4 for i in range(1, 61) if "abc"[i % 3] == k) for k in "abc"}
        self.assertEqual(self.psql_ok(s, "SELECT kind, count(*), sum(amount) FROM pgs GROUP BY kind ORDER BY kind"),
                         "".join(f"{k}|20|{sums[k]:g}\n" for k in "abc"))
        self.assertEqual(self.psql_ok(s, "SELECT min(ts), max(ts) FROM pgs"),
                         "2026-11-25 10:00:00+00|2026-11-25 13:59:00+00\n")
        self.assertEqual(self.psql_ok(s, "SELECT date_trunc('hour', ts) AS h, count(*) FROM pgs GROUP BY 1 ORDER BY 1"),
                         "2026-11-25 10:00:00+00|15\n2026-11-25 11:00:00+00|15\n"
                         "2026-11-25 12:00:00+00|15\n2026-11-25 13:00:00+00|15\n")
        out = self.psql_ok(s, "SELECT id, ts FROM pgs WHERE id = 7", tuples=False)
        self.assertIn(" id |           ts           \n", out)
        self.assertIn("  7 | 2026-11-25 13:07:00+00\n(1 row)", out)
        r = psql(s, "SELECT nope FROM pgs")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('column "nope" not found', r.stderr)

    def test_psql_describes_a_stream(self):
        out = self.psql_ok(self.server, "\\d pgs", tuples=False)
        print(f"[sql] psql \\d pgs:\n{out}", flush=True)
        for column, pg_type in (("id", "bigint"), ("kind", "text"), ("amount", "double precision"),
                                ("ts", "timestamp with time zone"), ("_offset", "bigint"), ("_partition", "integer"),
                                ("_ingested_at", "timestamp with time zone")):
            self.assertRegex(out, rf"\n {column} +\| {pg_type} ", f"\\d pgs lacks {column} {pg_type}")

    def test_psql_lists_streams(self):
        out = self.psql_ok(self.server, "\\d", tuples=False)
        print(f"[sql] psql \\d:\n{out}", flush=True)
        self.assertIn("pgs", out, "psql's \\d lists no stream")

    def test_a_cancelled_query_does_not_harm_the_server(self):
        s = self.server
        t0 = time.monotonic()
        proc = subprocess.Popen(["psql", "-X", "-h", "127.0.0.1", "-p", str(s.pg_port), "-U", "x", "-d", "lagoa",
                                 "-c", "SELECT count(*) FROM range(100000000000000)"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=psql_env(), text=True)
        try:
            # psql sends a CancelRequest on SIGINT once it is connected; wait for its connection,
            # then give it a moment to send the query (it cannot be observed from outside).
            deadline = time.monotonic() + 30
            while not connected_to(proc.pid, s.pg_port):
                self.assertIsNone(proc.poll(), "psql ended before it connected")
                self.assertLess(time.monotonic(), deadline, "psql never connected")
                time.sleep(0.02)
            time.sleep(0.5)
            self.assertIsNone(proc.poll(), "the endless query ended by itself")
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.assertNotEqual(proc.returncode, 0, out)
        self.assertIn("Cancel request sent", err)
        self.assertIn("cancelled", err)
        self.assertLess(time.monotonic() - t0, 30)
        self.assertEqual(self.psql_ok(s, "SELECT count(*) FROM pgs"), "60\n")
        self.assert_healthy(s)


def connected_to(pid, port):
    """True when process `pid` has an established TCP connection to 127.0.0.1:`port` (from /proc)."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        with open(f"/proc/{pid}/net/tcp") as f:
            lines = f.readlines()[1:]
    except OSError:
        return False
    for line in lines:
        fields = line.split()
        remote_port = int(fields[2].split(":")[1], 16)
        if remote_port == port and fields[3] == "01" and fields[9] in inodes:
            return True
    return False


class SchemaEvolutionTest(SqlTestBase):
    class_server_args = LOAD_FLAGS

    def test_rows_loaded_before_a_new_column_read_null_there(self):
        s = self.server
        s.create_stream("evo", infer=True)
        status, reply, _ = s.post_events("evo", '{"a": 1, "s": "x"}\n')
        self.assertEqual(status, 200, reply)
        self.wait_all_in_lake(s, "evo")
        status, reply, _ = s.post_events("evo", '{"a": 2, "s": "y", "b": true}\n')
        self.assertEqual(status, 200, reply)
        query = "SELECT a, s, b FROM evo ORDER BY a"
        self.assertEqual(self.sql_rows(s, query), [[1, "x", None], [2, "y", True]])  # lake + tail
        self.assertEqual(self.psql_ok(s, query), "1|x|\n2|y|t\n")
        table = self.wait_all_in_lake(s, "evo")
        self.assertIn("b", [c["name"] for c in table["columns"]])
        self.assertEqual(self.sql_rows(s, query), [[1, "x", None], [2, "y", True]])  # all in the lake
        self.assertEqual(self.sql_rows(s, "SELECT count(*) FROM evo WHERE b IS NULL"), [[1]])
        described = self.sql_rows(s, "DESCRIBE evo")
        self.assertEqual([r[0] for r in described][:3], ["a", "s", "b"])


    def test_a_column_that_no_file_has_yet_reads_null(self):
        # The loader adds a stream's new column to its table with a metaData commit, then loads the
        # file holding it: in between, no file has the column. Made here deterministically: a copy of
        # a loaded table plus a metaData commit adding `b`, attached read-only.
        s = self.server
        s.create_stream("evo2", "a BIGINT")
        status, reply, _ = s.post_events("evo2", '{"a": 1}\n')
        self.assertEqual(status, 200, reply)
        self.wait_all_in_lake(s, "evo2")
        table_dir = self.tmp_path("evolved")
        shutil.copytree(os.path.join(s.data_dir, "lake", "evo2"), table_dir)
        log_dir = os.path.join(table_dir, "_delta_log")
        commits = sorted(n for n in os.listdir(log_dir) if n.endswith(".json"))
        metadata = None
        for name in commits:
            with open(os.path.join(log_dir, name)) as f:
                for line in f:
                    metadata = json.loads(line).get("metaData", metadata)
        schema = json.loads(metadata["schemaString"])
        schema["fields"].append({"name": "b", "type": "boolean", "nullable": True, "metadata": {}})
        metadata["schemaString"] = json.dumps(schema)
        with open(os.path.join(log_dir, f"{int(commits[-1][:20]) + 1:020d}.json"), "w") as f:
            f.write(json.dumps({"metaData": metadata}) + "\n")
        r = h.run_cli(["table", "attach", "evolved", table_dir], url=s.url)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.addCleanup(s.json, "DELETE", "/v1/tables/evolved")  # before its directory goes
        status, body, _ = sql(s, "SELECT a, b FROM evolved")
        self.assertEqual(status, 200, f"a column no data file has must read NULL: {body}")
        self.assertEqual(json.loads(body)["rows"], [[1, None]])



class BrokenRelationTest(SqlTestBase):
    def test_an_unreadable_attached_table_fails_only_the_statements_that_read_it(self):
        s = self.server
        s.create_stream("fine", "a BIGINT")
        status, reply, _ = s.post_events("fine", '{"a": 5}\n')
        self.assertEqual(status, 200, reply)
        # A Delta table with one commit and no file, attached, then its directory removed.
        table_dir = self.tmp_path("gone")
        os.makedirs(os.path.join(table_dir, "_delta_log"))
        schema = {"type": "struct", "fields": [{"name": "x", "type": "long", "nullable": True, "metadata": {}}]}
        with open(os.path.join(table_dir, "_delta_log", f"{0:020d}.json"), "w") as f:
            f.write(json.dumps({"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}}) + "\n")
            f.write(json.dumps({"metaData": {"id": "0b6d1f8e-5a47-4f0e-9a53-0d0b1f5c6e11", "format": {
                "provider": "parquet", "options": {}}, "schemaString": json.dumps(schema), "partitionColumns": [],
                "configuration": {}, "createdTime": 0}}) + "\n")
        r = h.run_cli(["table", "attach", "gone", table_dir], url=s.url)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.sql_rows(s, "SELECT count(*) FROM gone"), [[0]])
        shutil.rmtree(table_dir)
        status, body, _ = sql(s, "SELECT count(*) FROM gone")
        self.assertEqual(status, 404, body)
        # Statements that do not read it go on working, over HTTP and over psql.
        texts = ("SELECT a FROM fine", "SELECT 1; SELECT a FROM fine", "SELECT 5 AS a")
        got = {}
        for text in texts:
            status, body, _ = sql(s, text)
            got[f"http: {text}"] = json.loads(body).get("rows", body) if status == 200 else f"{status} {body}"
        for text in texts[::2]:
            r = psql(s, text)
            got[f"psql: {text}"] = [[int(r.stdout)]] if r.returncode == 0 else r.stderr
        self.assertEqual(got, {k: [[5]] for k in got})


if __name__ == "__main__":
    h.main()
