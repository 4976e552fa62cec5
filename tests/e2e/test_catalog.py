"""The catalog: GET /v1/catalog and `lagoa catalog` list every named object — streams, dead-letter
streams, tables made by SQL, attached tables, views, macros, schemas — with lineage; one name check
refuses a new stream, table or attached table whose name another object holds (ignoring case);
column tags are checked and survive SIGKILL."""

import json
import os
import subprocess

import lagoa_harness as h


def cli(args, url):
    """`lagoa ARGS… --url URL`, its output as text."""
    r = h.run_cli(args, url=url)
    r.stdout, r.stderr = r.stdout.decode(), r.stderr.decode()
    return r


def sql(server, text):
    status, body, _ = server.json("POST", "/v1/sql", text, {"Content-Type": "text/plain"})
    return status, body


class CatalogTest(h.ServerTestCase):
    start_class_server = False

    def test_every_object_is_listed_with_lineage_and_names_are_checked_once(self):
        server = self.start_server(data_dir=self.tmp_path("data"))
        server.create_stream("clicks", "user_id BIGINT, email VARCHAR, url VARCHAR")
        status, body = sql(server, "CREATE TABLE daily AS SELECT url, count(*) AS n FROM clicks GROUP BY url;"
                                   " CREATE VIEW heavy AS SELECT user_id FROM clicks WHERE url = '/buy';"
                                   " CREATE MACRO recent(k) AS TABLE SELECT * FROM heavy LIMIT k;"
                                   " CREATE SCHEMA marts; CREATE VIEW marts.buyers AS SELECT DISTINCT user_id FROM heavy")
        self.assertEqual(status, 200, body)
        status, listed, _ = server.json("GET", "/v1/catalog")
        self.assertEqual(status, 200, listed)
        kinds = {o["name"]: o["kind"] for o in listed["objects"]}
        self.assertEqual(kinds, {"clicks": "stream", "clicks.dlq": "dead_letter_stream", "daily": "table",
                                 "heavy": "view", "recent": "macro", "marts": "schema", "marts.buyers": "view"})
        lineage = {o["name"]: o["derived_from"] for o in listed["objects"]}
        self.assertEqual((lineage["heavy"], lineage["recent"], lineage["marts.buyers"], lineage["clicks.dlq"]),
                         (["clicks"], ["heavy"], ["heavy"], ["clicks"]))
        by_name = {o["name"]: o for o in listed["objects"]}
        self.assertTrue(by_name["clicks"]["location"].startswith("file:///"), by_name["clicks"])
        self.assertTrue(by_name["daily"]["location"].endswith("/tables/daily/"), by_name["daily"])
        self.assertIn("CREATE VIEW heavy", by_name["heavy"]["definition"])

        # One check, whoever creates: a stream over HTTP, a stream or a table in SQL.
        status, refused, _ = server.json("PUT", "/v1/streams/HEAVY", {"schema": "a BIGINT"})
        self.assertEqual(status, 409, refused)
        self.assertIn('"HEAVY" is the name of a view (spelled "heavy"', refused["error"])
        status, refused = sql(server, "CREATE STREAM daily (a BIGINT)")
        self.assertEqual(status, 409, refused)
        self.assertIn('CREATE STREAM: "daily" is the name of a table', refused["error"])
        status, refused = sql(server, "CREATE TABLE Clicks (a BIGINT)")
        self.assertEqual(status, 409, refused)
        self.assertIn("is the name of a stream", refused["error"])

        r = cli(["catalog", "list"], url=server.url)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"heavy\s+view\s+-\s+clicks")
        r = cli(["catalog", "describe", "nothing"], url=server.url)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn('no object is called "nothing"', r.stderr)

    def test_column_tags_are_checked_and_survive_sigkill(self):
        server = self.start_server(data_dir=self.tmp_path("data"))
        server.create_stream("users", "id BIGINT, email VARCHAR")
        r = cli(["catalog", "tag", "users", "email", "personal"], url=server.url)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = cli(["catalog", "tag", "users", "id", "subject_key"], url=server.url)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = cli(["catalog", "tag", "users", "phone", "personal"], url=server.url)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn('has no column "phone"', r.stderr)
        status, bad, _ = server.json("PUT", "/v1/catalog/users/columns/email/tags", {"tags": ["Not A Tag"]})
        self.assertEqual(status, 400, bad)
        server.kill()
        server.start()
        status, described, _ = server.json("GET", "/v1/catalog/users")
        self.assertEqual(status, 200, described)
        self.assertEqual({c["name"]: c["tags"] for c in described["columns"]},
                         {"id": ["subject_key"], "email": ["personal"]})
        r = cli(["catalog", "describe", "users"], url=server.url)
        self.assertRegex(r.stdout, r"email\s+VARCHAR\s+personal")
        r = cli(["catalog", "describe", "users", "--json"], url=server.url)
        self.assertEqual(json.loads(r.stdout)["name"], "users")
        # SQL clients read the same catalog: over HTTP and over the PostgreSQL protocol (psql).
        status, rows = sql(server, "SELECT column_name, tags FROM lagoa_catalog_columns() "
                                   "WHERE object = 'users' ORDER BY column_name")
        self.assertEqual(status, 200, rows)
        self.assertEqual(rows["rows"], [["email", ["personal"]], ["id", ["subject_key"]]])
        r = subprocess.run(["psql", "-X", "-At", "-h", "127.0.0.1", "-p", str(server.pg_port), "-U", "x", "-d",
                            "lagoa", "-c", "SELECT kind, location LIKE 'file://%/users/' FROM lagoa_catalog() "
                                           "WHERE name = 'users'"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60,
                           env={k: v for k, v in os.environ.items() if not k.startswith("PG")})
        self.assertEqual((r.returncode, r.stdout), (0, "stream|t\n"), r.stderr)


if __name__ == "__main__":
    h.main()
