"""`lagoa compile` on project folders: the SQL it prints runs on a real server (each model made a
view in build order, the ephemeral one inlined), vars from the command line win, and a broken
project exits 1 naming the file."""

import json
import os

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

    def write_project(self, root, files):
        for relative, text in files.items():
            path = os.path.join(root, relative)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        return root

    def test_compiled_models_run_as_views_in_build_order(self):
        s = self.server
        s.create_stream("clicks", SCHEMA)
        events = [{"user_id": i % 5, "url": f"/p{i % 3}", "ts": "2024-03-01T10:00:00Z"} for i in range(60)]
        status, reply, _ = s.post_events("clicks", "".join(json.dumps(e) + "\n" for e in events))
        self.assertEqual(status, 200, reply)
        project = self.write_project(self.tmp_path("shop"), {
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
        project = self.write_project(self.tmp_path("loop"), {
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


if __name__ == "__main__":
    h.main()
