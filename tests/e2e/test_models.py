"""`lagoa compile` and `lagoa run` on project folders against a real server: the SQL compile prints
runs (each model a view in build order, the ephemeral one inlined), vars from the command line
win, a broken project exits 1 naming the file; run builds views, tables (one Delta commit each
rebuild), incremental models (appended, merged on their unique key, delete+insert by key, rebuilt with --full-refresh),
skips what a failed model or test feeds, runs data tests after their models, loads seeds with
their declared types (a bad value names its cell), keeps every version of changing rows in
snapshots (by timestamp and by compared columns), checks sources' freshness, and a SIGKILL of the server during a build
leaves each table at one build's rows."""

import glob
import json
import os
import random
import subprocess
import time

import lagoa_harness as h

SCHEMA = "user_id BIGINT NOT NULL, url VARCHAR, ts TIMESTAMPTZ"


def parse_compiled(text):
    """`-- name (path): materialization` headers, each followed by its statement: [(name, kind, sql)]."""
    models = []
    for block in text.strip().split("\n\n"):
        header, _, sql = block.partition("\n")
        name, _, rest = header[len("-- "):].partition(" (")
        models.append((name, rest.rsplit(": ", 1)[1], sql.rstrip().rstrip(";").rstrip()))
    return models


class ModelsTest(h.ServerTestCase):

    def test_compiled_models_run_as_views_in_build_order(self):
        s = self.server
        s.create_stream("clicks", SCHEMA)
        events = [{"user_id": i % 5, "url": f"/p{i % 3}", "ts": "2024-03-01T10:00:00Z"} for i in range(60)]
        status, reply, _ = s.post_events("clicks", "".join(json.dumps(e) + "\n" for e in events))
        self.assertEqual(status, 200, reply)
        project = h.write_files(self.tmp_path("shop"), {
            "lagoa_project.yml": "name: shop\nvars:\n  min_user: 0\n",
            "models/staging/stg_clicks.sql":
                "SELECT user_id, url FROM {{ source('clicks') }} WHERE user_id >= {{ var('min_user') }}",
            "models/staging/pages.sql":
                "{{ config(materialized='ephemeral') }}\nSELECT url FROM {{ ref('stg_clicks') }};",
            "models/page_counts.sql": "SELECT url, count(*) AS n FROM {{ ref('pages') }} GROUP BY url -- by page",
        })

        r = h.run_cli(["compile", "--project", project, "--var", "min_user=2"])
        self.assertEqual(r.returncode, 0, r.stderr)
        compiled = parse_compiled(r.stdout.decode())
        self.assertEqual([(name, kind) for name, kind, _ in compiled],
                         [("stg_clicks", "view"), ("pages", "ephemeral"), ("page_counts", "view")])
        for name, kind, sql in compiled:
            if kind == "view":
                r = h.run_cli(["sql", "-c", f'CREATE VIEW "{name}" AS {sql}'], url=s.url)
                self.assertEqual(r.returncode, 0, f"{name}: {r.stderr.decode()}\n{sql}")

        r = h.run_cli(["sql", "-c", "SELECT url, n FROM page_counts ORDER BY url", "--format", "json"], url=s.url)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = [json.loads(line) for line in r.stdout.decode().splitlines() if line.strip()]
        expected = {}
        for e in events:
            if e["user_id"] >= 2:
                expected[e["url"]] = expected.get(e["url"], 0) + 1
        self.assertEqual({row["url"]: row["n"] for row in rows}, expected)

        r = h.run_cli(["compile", "--project", project, "--select", "+page_counts", "--exclude", "stg_clicks"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual([name for name, _, _ in parse_compiled(r.stdout.decode())], ["pages", "page_counts"])

    def test_a_broken_project_exits_1_naming_the_file(self):
        project = h.write_files(self.tmp_path("loop"), {
            "lagoa_project.yml": "name: loop\n",
            "models/a.sql": "SELECT * FROM {{ ref('b') }}",
            "models/b.sql": "SELECT * FROM {{ ref('a') }}",
        })
        r = h.run_cli(["compile", "--project", project])
        self.assertEqual(r.returncode, 1)
        self.assertIn("a (models/a.sql) → b (models/b.sql) → a", r.stderr.decode())
        self.assertEqual(r.stdout, b"")

        r = h.run_cli(["compile", "--project", self.tmp_path("nowhere")])
        self.assertEqual(r.returncode, 1)
        self.assertIn("no lagoa_project.yml here", r.stderr.decode())

        r = h.run_cli(["compile", "--project", project, "--var", "novalue"])
        self.assertEqual(r.returncode, 2)
        self.assertIn("expected NAME=VALUE", r.stderr.decode())



    def query(self, sql, server=None):
        r = h.run_cli(["sql", "-c", sql, "--format", "json"], url=(server or self.server).url)
        self.assertEqual(r.returncode, 0, f"{sql}: {r.stderr.decode()}")
        return [json.loads(line) for line in r.stdout.decode().splitlines() if line.strip()]

    def latest_commit(self, table):
        logs = sorted(glob.glob(os.path.join(self.server.data_dir, "tables", table, "_delta_log", "*.json")))
        self.assertTrue(logs, f"no Delta log for {table}")
        with open(logs[-1], encoding="utf-8") as f:
            return len(logs), [json.loads(line) for line in f if line.strip()]

    def test_run_builds_views_tables_and_incremental_models(self):
        s = self.server
        s.create_stream("orders", "order_id BIGINT NOT NULL, day DATE, amount DOUBLE, paid BOOLEAN")
        orders = []

        def post(first, count):
            # The first 24 orders fall on days 1-3, later ones on day 3 and then 4 (the merge
            # model recomputes from its latest day on).
            batch = [{"order_id": i, "day": f"2024-03-0{1 + i % 3 if i < 24 else 3 if i < 30 else 4}",
                      "amount": float(i), "paid": i % 4 != 0} for i in range(first, first + count)]
            status, reply, _ = s.post_events("orders", "".join(json.dumps(o) + "\n" for o in batch))
            self.assertEqual(status, 200, reply)
            orders.extend(batch)

        post(0, 24)
        project = h.write_files(self.tmp_path("shop"), {
            "lagoa_project.yml": "name: shop\nmodels:\n  marts:\n    materialized: table\n",
            "models/staging/stg_orders.sql":
                "SELECT order_id, day, amount FROM {{ source('orders') }} WHERE paid",
            "models/marts/daily_revenue.sql":
                "SELECT day, sum(amount) AS revenue FROM {{ ref('stg_orders') }} GROUP BY day",
            "models/marts/orders_seen.sql":
                "{{ config(materialized='incremental') }}\n"
                "SELECT day, order_id FROM {{ ref('stg_orders') }}\n"
                "{% if is_incremental() %}WHERE order_id > (SELECT max(order_id) FROM {{ this }}){% endif %}",
            "models/marts/revenue_by_day.sql":
                "{{ config(materialized='incremental', incremental_strategy='merge', unique_key='day') }}\n"
                "SELECT day, sum(amount) AS revenue, count(*) AS orders FROM {{ ref('stg_orders') }}\n"
                "{% if is_incremental() %}WHERE day >= (SELECT max(day) FROM {{ this }}){% endif %}\n"
                "GROUP BY day",
            "models/broken/bad.sql": "SELECT no_such_column FROM {{ ref('stg_orders') }}",
            "models/broken/after_bad.sql": "SELECT * FROM {{ ref('bad') }}",
        })

        def expected_revenue():
            revenue = {}
            for o in orders:
                if o["paid"]:
                    revenue[o["day"]] = revenue.get(o["day"], 0.0) + o["amount"]
            return revenue

        def check():
            rows = self.query("SELECT day::VARCHAR AS day, revenue FROM daily_revenue")
            self.assertEqual({r["day"]: r["revenue"] for r in rows}, expected_revenue())
            rows = self.query("SELECT day::VARCHAR AS day, revenue, orders FROM revenue_by_day ORDER BY day")
            self.assertEqual({r["day"]: r["revenue"] for r in rows}, expected_revenue())
            self.assertEqual(len(rows), len(expected_revenue()))  # merged: one row per day
            self.assertEqual(sum(r["orders"] for r in rows), sum(1 for o in orders if o["paid"]))
            seen = self.query("SELECT order_id FROM orders_seen ORDER BY order_id")
            self.assertEqual([r["order_id"] for r in seen], [o["order_id"] for o in orders if o["paid"]])

        r = h.run_cli(["run", "--project", project, "--exclude", "path:models/broken"], url=s.url)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        out = r.stdout.decode()
        self.assertIn("OK     view        stg_orders", out)
        self.assertIn("OK     table       daily_revenue", out)
        self.assertIn("Done in", out)
        self.assertIn("4 built, 0 failed, 0 skipped", out)
        check()
        kinds = {row["name"]: row["kind"] for row in self.query(
            "SELECT name, kind FROM lagoa_catalog() WHERE name IN "
            "('stg_orders', 'daily_revenue', 'orders_seen', 'revenue_by_day')")}
        self.assertEqual(kinds, {"stg_orders": "view", "daily_revenue": "table", "orders_seen": "table",
                                 "revenue_by_day": "table"})

        # New orders, among them a new day: a second run rebuilds the table in one commit, appends
        # only the new orders and merges the days they touch.
        post(24, 12)
        versions_before, _ = self.latest_commit("daily_revenue")
        r = h.run_cli(["run", "--project", project, "--exclude", "path:models/broken"], url=s.url)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        check()
        versions, commit = self.latest_commit("daily_revenue")
        self.assertEqual(versions, versions_before + 1)
        info = next(a["commitInfo"] for a in commit if "commitInfo" in a)
        self.assertEqual(info["operation"], "CREATE OR REPLACE TABLE AS SELECT")
        self.assertTrue(any("remove" in a for a in commit) and any("add" in a for a in commit), commit)
        _, commit = self.latest_commit("orders_seen")
        info = next(a["commitInfo"] for a in commit if "commitInfo" in a)
        self.assertEqual(info["operationParameters"]["mode"], "Append")
        _, commit = self.latest_commit("revenue_by_day")
        info = next(a["commitInfo"] for a in commit if "commitInfo" in a)
        self.assertEqual(info["operationParameters"]["mode"], "Overwrite")

        # --full-refresh rebuilds the incremental models as tables: the same rows.
        r = h.run_cli(["run", "--project", project, "--select", "orders_seen revenue_by_day", "--full-refresh"],
                      url=s.url)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        self.assertIn("2 built", r.stdout.decode())
        check()
        _, commit = self.latest_commit("orders_seen")
        info = next(a["commitInfo"] for a in commit if "commitInfo" in a)
        self.assertEqual(info["operation"], "CREATE OR REPLACE TABLE AS SELECT")

        # A model that fails: its error, and what it feeds skipped; exit 1. A view model now
        # materialized as a table replaces the view.
        r = h.run_cli(["run", "--project", project, "--select", "+after_bad"], url=s.url)
        self.assertEqual(r.returncode, 1, r.stdout.decode())
        out = r.stdout.decode()
        self.assertIn("ERROR  view        bad", out)
        self.assertIn("no_such_column", out)
        self.assertIn("SKIP   view        after_bad: bad was not built", out)
        self.assertIn("1 built, 1 failed, 1 skipped", out)

        with open(os.path.join(project, "models/staging/stg_orders.sql"), "w", encoding="utf-8") as f:
            f.write("{{ config(materialized='table') }}\n"
                    "SELECT order_id, day, amount FROM {{ source('orders') }} WHERE paid")
        r = h.run_cli(["run", "--project", project, "--select", "stg_orders+", "--exclude", "path:models/broken"],
                      url=s.url)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        self.assertIn("OK     table       stg_orders", r.stdout.decode())
        check()
        kind = self.query("SELECT kind FROM lagoa_catalog() WHERE name = 'stg_orders'")
        self.assertEqual(kind, [{"kind": "table"}])

    def test_delete_insert_replaces_every_row_of_the_keys_it_rebuilds_in_one_commit(self):
        s = self.server
        s.create_stream("readings", "sensor VARCHAR, day DATE, value DOUBLE")

        def post(rows):
            status, reply, _ = s.post_events("readings", "".join(
                json.dumps({"sensor": a, "day": d, "value": v}) + "\n" for a, d, v in rows))
            self.assertEqual(status, 200, reply)

        post([("a", "2024-03-01", 1), ("b", "2024-03-01", 2), ("a", "2024-03-02", 3), (None, "2024-03-02", 4)])
        # Each build recomputes the days at or after the latest one stored: several rows per key
        # (day), which merge would refuse.
        project = h.write_files(self.tmp_path("sensors"), {
            "lagoa_project.yml": "name: sensors\n",
            "models/per_sensor_day.sql":
                "{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='day') }}\n"
                "SELECT day, sensor, sum(value) AS total FROM {{ source('readings') }}\n"
                "{% if is_incremental() %}WHERE day >= (SELECT max(day) FROM {{ this }}){% endif %}\n"
                "GROUP BY day, sensor",
        })

        def rows():
            return self.query("SELECT CAST(day AS VARCHAR) AS day, sensor, total FROM per_sensor_day "
                              "ORDER BY day, sensor NULLS FIRST")

        r = h.run_cli(["run", "--project", project], url=s.url)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        self.assertEqual(rows(), [{"day": "2024-03-01", "sensor": "a", "total": 1}, {"day": "2024-03-01", "sensor": "b", "total": 2},
                                  {"day": "2024-03-02", "sensor": None, "total": 4}, {"day": "2024-03-02", "sensor": "a", "total": 3}])
        # A late reading for 2024-03-02 (sensor b, new) and a new day: 2024-03-02's rows are all
        # replaced, 2024-03-01's stay as they were.
        post([("b", "2024-03-02", 10), ("a", "2024-03-03", 5)])
        versions_before = len(glob.glob(os.path.join(s.data_dir, "tables", "per_sensor_day", "_delta_log", "*.json")))
        r = h.run_cli(["run", "--project", project], url=s.url)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        self.assertEqual(rows(), [{"day": "2024-03-01", "sensor": "a", "total": 1}, {"day": "2024-03-01", "sensor": "b", "total": 2},
                                  {"day": "2024-03-02", "sensor": None, "total": 4}, {"day": "2024-03-02", "sensor": "a", "total": 3},
                                  {"day": "2024-03-02", "sensor": "b", "total": 10},
                                  {"day": "2024-03-03", "sensor": "a", "total": 5}])
        versions, commit = self.latest_commit("per_sensor_day")
        self.assertEqual(versions, versions_before + 1)
        info = next(a["commitInfo"] for a in commit if "commitInfo" in a)
        self.assertEqual(info["operation"], "CREATE OR REPLACE TABLE AS SELECT")

    def test_build_tests_each_model_and_stops_what_a_failing_test_feeds(self):
        s = self.server
        s.create_stream("payments", "payment_id BIGINT NOT NULL, customer VARCHAR, method VARCHAR")
        payments = [{"payment_id": i, "customer": f"c{i % 4}", "method": ["card", "pix", "boleto"][i % 3]}
                    for i in range(30)]
        payments.append({"payment_id": 7, "customer": "c9", "method": "cash"})  # a duplicate id, an unknown method
        status, reply, _ = s.post_events("payments", "".join(json.dumps(p) + "\n" for p in payments))
        self.assertEqual(status, 200, reply)
        project = h.write_files(self.tmp_path("pay"), {
            "lagoa_project.yml": "name: pay\n",
            "models/customers.sql": "{{ config(materialized='table') }}\n"
                                    "SELECT DISTINCT customer FROM {{ source('payments') }} WHERE customer <> 'c9'",
            "models/stg_payments.sql": "SELECT * FROM {{ source('payments') }}",
            "models/by_method.sql": "SELECT method, count(*) AS n FROM {{ ref('stg_payments') }} GROUP BY method",
            "models/schema.yml":
                "models:\n"
                "  - name: stg_payments\n"
                "    columns:\n"
                "      - name: payment_id\n"
                "        tests: [unique, not_null]\n"
                "      - name: method\n"
                "        tests:\n"
                "          - accepted_values: {values: [card, pix, boleto], severity: warn}\n"
                "      - name: customer\n"
                "        tests:\n"
                "          - relationships: {to: customers, field: customer}\n",
            "tests/no_negative_ids.sql": "SELECT * FROM {{ ref('stg_payments') }} WHERE payment_id < 0",
        })
        r = h.run_cli(["build", "--project", project, "--store-failures"], url=s.url)
        out = r.stdout.decode()
        self.assertEqual(r.returncode, 1, out + r.stderr.decode())
        lines = out.splitlines()
        # --store-failures keeps each failing test's rows in a lake table.
        self.assertIn("kept in lagoa_failures_unique_stg_payments_payment_id", out)
        self.assertEqual(self.query("SELECT value, n FROM lagoa_failures_unique_stg_payments_payment_id"),
                         [{"value": 7, "n": 2}])
        self.assertEqual(self.query("SELECT value FROM lagoa_failures_relationships_stg_payments_customer"),
                         [{"value": "c9"}])
        self.assertIn("FAIL   test        unique_stg_payments_payment_id", out)
        self.assertIn("1 failing row (models/schema.yml:5:17)", out)
        self.assertIn("    7 | 2", lines)  # the failing row: the id and its count
        self.assertIn("WARN   test        accepted_values_stg_payments_method", out)
        self.assertIn("FAIL   test        relationships_stg_payments_customer", out)
        self.assertIn("PASS   test        not_null_stg_payments_payment_id", out)
        self.assertIn("PASS   test        no_negative_ids", out)
        # A failing error test stops what reads the model it tests.
        self.assertIn("SKIP   view        by_method: stg_payments failed a test", out)
        self.assertIn("1 built, 1 failed, 1 skipped; tests: 2 passed, 1 warned, 2 failed, 0 skipped", out)
        # Each test runs after the models it reads: relationships after customers and stg_payments.
        order = [line.split()[5] for line in lines if " of " in line]
        self.assertLess(order.index("customers"), order.index("relationships_stg_payments_customer"))
        self.assertLess(order.index("stg_payments"), order.index("unique_stg_payments_payment_id"))

        # `lagoa test` runs the tests alone; fixing the data makes them pass, and build then
        # builds everything.
        r = h.run_cli(["sql", "-c", "CREATE OR REPLACE TABLE customers AS SELECT DISTINCT customer FROM payments"],
                      url=s.url)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = h.run_cli(["test", "--project", project, "--select", "stg_payments"], url=s.url)
        self.assertEqual(r.returncode, 1, r.stdout.decode())
        self.assertIn("PASS   test        relationships_stg_payments_customer", r.stdout.decode())
        self.assertIn("tests: 3 passed, 1 warned, 1 failed, 0 skipped", r.stdout.decode())
        with open(os.path.join(project, "models/stg_payments.sql"), "w", encoding="utf-8") as f:
            f.write("SELECT * FROM {{ source('payments') }} WHERE customer <> 'c9'")
        with open(os.path.join(project, "models/customers.sql"), "w", encoding="utf-8") as f:
            f.write("{{ config(materialized='table') }}\nSELECT DISTINCT customer FROM {{ source('payments') }}")
        r = h.run_cli(["build", "--project", project, "--store-failures"], url=s.url)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        self.assertIn("3 built, 0 failed, 0 skipped; tests: 5 passed, 0 warned, 0 failed, 0 skipped",
                      r.stdout.decode())
        # Passing tests drop the rows kept when they failed.
        self.assertEqual(self.query("SELECT count(*) AS n FROM lagoa_catalog() WHERE name LIKE 'lagoa_failures_%'"),
                         [{"n": 0}])
        rows = self.query("SELECT method, n FROM by_method ORDER BY method")
        self.assertEqual(rows, [{"method": "boleto", "n": 10}, {"method": "card", "n": 10}, {"method": "pix", "n": 10}])

    def test_sigkill_during_builds_leaves_each_table_at_one_version(self):
        s = self.start_server()
        s.create_stream("ticks", "n BIGINT NOT NULL, tag VARCHAR")
        rows = h.scaled(20000, 2000)
        status, reply, _ = s.post_events("ticks", "".join(
            json.dumps({"n": i, "tag": f"t{i % 7}"}) + "\n" for i in range(rows)))
        self.assertEqual(status, 200, reply)
        project = h.write_files(self.tmp_path("gen"), {
            "lagoa_project.yml": "name: gen\nmodels:\n  materialized: table\n",
            "models/wide.sql":
                "SELECT {{ var('gen') }} AS gen, n, tag, repeat(tag, 50) AS pad FROM {{ source('ticks') }}",
            "models/by_tag.sql": "SELECT gen, tag, count(*) AS n FROM {{ ref('wide') }} GROUP BY gen, tag",
        })
        r = h.run_cli(["run", "--project", project, "--var", "gen=0"], url=s.url)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        rng = random.Random(h.SEED)
        for gen in range(1, 6):
            build = subprocess.Popen([h.binary(), "run", "--project", project, "--var", f"gen={gen}", "--url", s.url],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=h.clean_env())
            time.sleep(rng.uniform(0.0, 0.5))
            s.kill()
            build.communicate(timeout=120)
            s.start()
            # Each table holds one build's rows, all of them: the previous build's or this one's.
            for table, count in (("wide", rows), ("by_tag", 7)):
                got = self.query(f"SELECT count(*) AS n, count(DISTINCT gen) AS gens, max(gen) AS gen FROM {table}",
                                 server=s)
                self.assertEqual((got[0]["n"], got[0]["gens"]), (count, 1), f"{table} after a kill in build {gen}")
                self.assertIn(got[0]["gen"], (gen - 1, gen), f"{table} after a kill in build {gen}")
            # The build run again completes.
            r = h.run_cli(["run", "--project", project, "--var", f"gen={gen}"], url=s.url)
            self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
            for table in ("wide", "by_tag"):
                self.assertEqual(self.query(f"SELECT DISTINCT gen FROM {table}", server=s), [{"gen": gen}])


    def test_seeds_load_typed_and_a_bad_value_names_its_cell(self):
        s = self.server
        project = h.write_files(self.tmp_path("geo"), {
            "lagoa_project.yml": "name: geo\nseeds:\n  countries:\n"
                                 "    column_types: {population: BIGINT, joined: DATE}\n",
            "seeds/countries.csv": "code,name,population,joined\nbr,Brazil,203000000,2024-01-05\n"
                                   "pt,\"Portugal, the\",10400000,\nao,Angola,,2025-02-01\n",
            "models/big_countries.sql": "{{ config(materialized='table') }}\n"
                                        "SELECT code FROM {{ source('countries') }} WHERE population > 100000000",
        })
        r = h.run_cli(["seed", "--project", project], url=s.url)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        self.assertIn("1 of 1 OK     seed        countries", r.stdout.decode())
        self.assertIn("3 rows", r.stdout.decode())
        rows = self.query("SELECT code, name, population, joined::VARCHAR AS joined, typeof(population) AS t "
                          "FROM countries ORDER BY code")
        self.assertEqual(rows, [
            {"code": "ao", "name": "Angola", "population": None, "joined": "2025-02-01", "t": "BIGINT"},
            {"code": "br", "name": "Brazil", "population": 203000000, "joined": "2024-01-05", "t": "BIGINT"},
            {"code": "pt", "name": "Portugal, the", "population": 10400000, "joined": None, "t": "BIGINT"},
        ])

        # A value that is not its column's type: the file, line and column; the table stays as it was.
        with open(os.path.join(project, "seeds/countries.csv"), "w", encoding="utf-8") as f:
            f.write("code,name,population,joined\nbr,Brazil,203000000,2024-01-05\npt,Portugal,10.4M,\n")
        r = h.run_cli(["build", "--project", project], url=s.url)
        self.assertEqual(r.returncode, 1, r.stdout.decode())
        self.assertIn("ERROR  seed        countries", r.stdout.decode())
        self.assertIn("seeds/countries.csv:3:3: column population: `10.4M` is not a BIGINT", r.stdout.decode())
        self.assertEqual(self.query("SELECT count(*) AS n FROM countries"), [{"n": 3}])

        with open(os.path.join(project, "seeds/countries.csv"), "w", encoding="utf-8") as f:
            f.write("code,name,population,joined\nbr,Brazil,203000000,2024-01-05\nin,India,1430000000,\n")
        r = h.run_cli(["build", "--project", project], url=s.url)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        self.assertIn("2 built, 0 failed, 0 skipped", r.stdout.decode())
        self.assertEqual(self.query("SELECT code FROM big_countries ORDER BY code"), [{"code": "br"}, {"code": "in"}])
        r = h.run_cli(["seed", "--project", project, "--select", "nope"], url=s.url)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no seed is called `nope`", r.stderr.decode())

    def test_snapshots_keep_every_version_of_changing_rows(self):
        s = self.server
        s.create_stream("accounts", "id BIGINT NOT NULL, plan VARCHAR, updated_at TIMESTAMPTZ")

        def post(*rows):
            status, reply, _ = s.post_events("accounts", "".join(
                json.dumps({"id": i, "plan": p, "updated_at": t}) + "\n" for i, p, t in rows))
            self.assertEqual(status, 200, reply)

        latest = ("SELECT id, plan, updated_at FROM {{ source('accounts') }} "
                  "QUALIFY row_number() OVER (PARTITION BY id ORDER BY updated_at DESC) = 1")
        project = h.write_files(self.tmp_path("crm"), {
            "lagoa_project.yml": "name: crm\n",
            "snapshots/plans_by_time.sql":
                "{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}\n" + latest,
            "snapshots/plans_by_check.sql":
                "{{ config(unique_key='id', strategy='check', check_cols=['plan']) }}\n" + latest,
        })
        t1, t2 = "2024-05-01T10:00:00Z", "2024-05-02T09:30:00Z"
        post((1, "free", t1), (2, "free", t1))
        r = h.run_cli(["snapshot", "--project", project], url=s.url)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        self.assertIn("OK     snapshot    plans_by_time", r.stdout.decode())

        post((1, "pro", t2), (3, "free", t2), (2, "free", t2))  # 2's plan is the same, at a later time
        for _ in range(2):  # the second run finds nothing new
            r = h.run_cli(["snapshot", "--project", project], url=s.url)
            self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
            rows = self.query("SELECT id, plan, strftime(lagoa_valid_from, '%Y-%m-%dT%H:%M:%SZ') AS valid_from, "
                              "strftime(lagoa_valid_to, '%Y-%m-%dT%H:%M:%SZ') AS valid_to FROM plans_by_time "
                              "ORDER BY id, lagoa_valid_from")
            self.assertEqual(rows, [
                {"id": 1, "plan": "free", "valid_from": t1, "valid_to": t2},
                {"id": 1, "plan": "pro", "valid_from": t2, "valid_to": None},
                {"id": 2, "plan": "free", "valid_from": t1, "valid_to": t2},
                {"id": 2, "plan": "free", "valid_from": t2, "valid_to": None},
                {"id": 3, "plan": "free", "valid_from": t2, "valid_to": None},
            ])
            # By check_cols, only a changed plan makes a version; the times are the builds'.
            rows = self.query("SELECT id, plan, lagoa_valid_to IS NULL AS current, "
                              "lagoa_valid_from <= now() AS started FROM plans_by_check ORDER BY id, lagoa_valid_from")
            self.assertEqual(rows, [
                {"id": 1, "plan": "free", "current": False, "started": True},
                {"id": 1, "plan": "pro", "current": True, "started": True},
                {"id": 2, "plan": "free", "current": True, "started": True},
                {"id": 3, "plan": "free", "current": True, "started": True},
            ])
        _, commit = self.latest_commit("plans_by_time")
        info = next(a["commitInfo"] for a in commit if "commitInfo" in a)
        self.assertEqual(info["operationParameters"]["mode"], "Overwrite")

        broken = h.write_files(self.tmp_path("broken"), {
            "lagoa_project.yml": "name: broken\n",
            "snapshots/s.sql": "{{ config(unique_key='id', strategy='timestamp') }}\nSELECT 1 AS id",
        })
        r = h.run_cli(["snapshot", "--project", broken], url=s.url)
        self.assertEqual(r.returncode, 1)
        self.assertIn("snapshots/s.sql: strategy timestamp needs updated_at", r.stderr.decode())

    def test_the_readmes_example_project_builds_on_the_quickstarts_stream(self):
        s = self.start_server()
        s.create_stream("clicks", "user_id BIGINT, url VARCHAR, ts TIMESTAMPTZ", event_time="ts")
        status, reply, _ = s.post_events("clicks", '{"user_id":1,"url":"/a","ts":"2026-11-25T10:00:00Z"}\n')
        self.assertEqual(status, 200, reply)
        example = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "clicks")
        for _ in range(2):
            r = h.run_cli(["build", "--project", example], url=s.url)
            self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
            self.assertIn("5 built, 0 failed, 0 skipped; tests: 5 passed, 0 warned, 0 failed, 0 skipped",
                          r.stdout.decode())
        self.assertEqual(self.query("SELECT url, title, clicks FROM daily_pages", server=s),
                         [{"url": "/a", "title": "Home", "clicks": 1}])
        # The catalog's lineage: which model reads which stream, seed and model.
        lineage = {row["name"]: row["derived_from"] for row in self.query(
            "SELECT name, derived_from::VARCHAR AS derived_from FROM lagoa_catalog() WHERE name IN "
            "('stg_clicks', 'daily_pages', 'user_last_seen', 'page_titles')", server=s)}
        self.assertEqual(lineage, {"stg_clicks": "[clicks]", "daily_pages": "[stg_clicks, pages]",
                                   "user_last_seen": "[stg_clicks]", "page_titles": "[pages]"})

    def test_source_freshness_warns_then_fails_as_the_newest_event_ages(self):
        s = self.server
        s.create_stream("sensor", "device VARCHAR, read_at TIMESTAMPTZ")
        project = h.write_files(self.tmp_path("fresh"), {
            "lagoa_project.yml": "name: fresh\nsources:\n  sensor:\n"
                                 "    freshness: {loaded_at: read_at, warn_after: 1 hour, error_after: 1 day}\n",
        })

        def build():
            r = h.run_cli(["build", "--project", project], url=s.url)
            return r.returncode, r.stdout.decode() + r.stderr.decode()

        code, out = build()  # no event yet: stale
        self.assertEqual(code, 1, out)
        self.assertIn("FAIL   test        freshness_sensor_error", out)
        now = time.time()
        for age_s, expected in ((3 * 3600, "tests: 1 passed, 1 warned, 0 failed"),
                                (60, "tests: 2 passed, 0 warned, 0 failed")):
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - age_s))
            status, reply, _ = s.post_events("sensor", json.dumps({"device": "d1", "read_at": at}) + "\n")
            self.assertEqual(status, 200, reply)
            code, out = build()
            self.assertEqual(code, 0, out)
            self.assertIn(expected, out)
        self.assertIn("PASS   test        freshness_sensor_warn", out)

if __name__ == "__main__":
    h.main()
