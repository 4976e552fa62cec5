"""What no client can do to a running server, through the real binary over HTTP, psql and the CLI:
read or write files outside the allowed folders, change settings other clients share, attach tables
from anywhere, or end the process with one statement. And the README's quickstart on `make run`'s
own defaults: a data directory given relative to the working directory."""
import json
import os
import unittest

import lagoa_harness as h
from test_sql import psql, sql


class SqlSafetyTest(h.ServerTestCase):
    def test_sql_reads_and_writes_files_only_in_the_allowed_folders(self):
        s = self.server
        files = os.path.join(s.ready_data_dir, "files")
        for text in ("SELECT * FROM read_csv('/etc/passwd')",
                     "COPY (SELECT 1) TO '/tmp/lagoa-e2e-escape.csv'",
                     f"COPY (SELECT 1) TO '{s.ready_data_dir}/attached_tables.json'",
                     f"EXPORT DATABASE '{s.ready_data_dir}'",
                     "ATTACH '/tmp/lagoa-e2e-escape.db' AS x",
                     "SET enable_external_access = false",
                     "SET memory_limit = '1MB'",
                     "SET threads = 5000"):
            status, body, _ = sql(s, text)
            self.assertEqual(status, 403, f"{text}: {body}")
        self.assertFalse(os.path.exists("/tmp/lagoa-e2e-escape.csv"))
        # The same refusal over the PostgreSQL protocol: insufficient_privilege.
        r = psql(s, "\\set VERBOSITY verbose", "SELECT * FROM read_text('/etc/passwd')")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("42501", r.stderr)
        # The import/export folder works both ways, and every client's statements still run.
        status, body, _ = sql(s, f"COPY (SELECT 7 AS n) TO '{files}/out.csv' (HEADER)")
        self.assertEqual(status, 200, body)
        status, body, _ = sql(s, f"SELECT n FROM read_csv('{files}/out.csv')")
        self.assertEqual((status, json.loads(body).get("rows")), (200, [[7]]), body)
        r = psql(s, "SELECT 40 + 2")
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "42"), r.stderr)

    def test_statements_that_once_ended_the_server_are_errors(self):
        s = self.server
        s.create_stream("crashy", "a BIGINT")
        status, body, _ = sql(s, 'SELECT * FROM "crashy@v99999999999999999999"')
        self.assertEqual(status, 400, body)
        status, body, _ = sql(s, 'PREPARE p AS SELECT \'abc\' AS "Count"; EXECUTE p')
        self.assertEqual((status, json.loads(body).get("rows")), (200, [["abc"]]), body)
        r = psql(s, 'SELECT * FROM "t\nLINE x: y\n^"')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("does not exist", r.stderr)
        status, body, _ = sql(s, "SELECT 1 AS alive")
        self.assertEqual(status, 200, body)

    def test_tables_attach_only_from_the_allowed_folders(self):
        s = self.server
        status, reply, _ = s.json("POST", "/v1/tables", {"name": "etc", "path": "/etc"})
        self.assertEqual(status, 403, reply)
        self.assertIn("attach_dirs", reply["error"])


def text(output):
    return output.decode() if isinstance(output, bytes) else output


class BearerTokenTest(h.ServerTestCase):
    start_class_server = False

    def test_a_server_with_tokens_answers_only_requests_that_carry_one(self):
        made = h.run_cli(["token", "new", "ci"])
        self.assertEqual(made.returncode, 0, made.stderr)
        lines = dict(line.split(":", 1) for line in text(made.stdout).splitlines())
        token, entry = lines["token"].strip(), lines["http_tokens"].strip()
        self.assertTrue(entry.startswith("ci:") and token not in entry, entry)
        s = self.start_server(["--http-tokens", entry])
        status, _, _ = s.request("GET", "/v1/streams")
        self.assertEqual(status, 401)
        status, _, _ = s.request("GET", "/v1/streams", headers={"Authorization": f"Bearer {token}x"})
        self.assertEqual(status, 401)
        status, _, _ = s.request("GET", "/v1/streams", headers={"Authorization": f"Bearer {token}"})
        self.assertEqual(status, 200)
        status, _, _ = s.request("GET", "/v1/health")
        self.assertEqual(status, 200)
        r = h.run_cli(["sql", "-c", "SELECT 41 + 1"], url=s.url)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("bearer token", text(r.stderr))
        r = h.run_cli(["sql", "-c", "SELECT 41 + 1"], url=s.url, env={"LAGOA_TOKEN": token})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("42", text(r.stdout))
        r = h.run_cli(["stream", "list", "--token", token], url=s.url)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_an_address_other_machines_reach_needs_tokens_or_insecure(self):
        s = h.LagoaServer(self.tmp_path("exposed"), self._tmp, ["--pg", "off"], http="0.0.0.0:0", test_flags=False)
        self._servers.append(s)
        s.spawn()
        self.assertEqual(s.proc.wait(timeout=30), 2)
        s.exit_code = 2
        with open(s.stderr_path) as f:
            message = f.read()
        self.assertIn("http_tokens", message)
        self.assertIn("--insecure", message)


class RelativeDataDirTest(h.ServerTestCase):
    start_class_server = False

    def test_the_quickstart_runs_on_a_data_directory_relative_to_the_working_directory(self):
        # `make run` starts `lagoa server` with its default ./lagoa-data.
        s = h.LagoaServer("lagoa-data", self._tmp, cwd=self._tmp)
        self._servers.append(s)
        s.start()
        self.assertTrue(os.path.isabs(s.ready_data_dir), s.ready_data_dir)
        s.create_stream("clicks", "user_id BIGINT, url VARCHAR, ts TIMESTAMPTZ")
        status, reply, _ = s.post_events("clicks", '{"user_id":1,"url":"/a","ts":"2026-11-25T10:00:00Z"}\n')
        self.assertEqual(status, 200, reply)
        r = h.run_cli(["sql", "-c", "CREATE TABLE daily AS SELECT date_trunc('day', ts) AS day, count(*) AS n "
                       "FROM clicks GROUP BY 1"], url=s.url)
        self.assertEqual(r.returncode, 0, r.stderr)
        status, body, _ = sql(s, "SELECT n FROM daily")
        self.assertEqual((status, json.loads(body).get("rows")), (200, [[1]]), body)
        self.assertTrue(os.path.isdir(os.path.join(self._tmp, "lagoa-data", "tables", "daily", "_delta_log")))


if __name__ == "__main__":
    unittest.main()
