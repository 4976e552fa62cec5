"""`lagoa project deploy` and `lagoa jobs` against a real server: a deployed project's jobs run on
their schedules (every N seconds, on new data in a stream, cron in a time zone), build their
models in order with their tests, and keep a history (`lagoa jobs runs|logs`, /v1/jobs, metrics);
a failing error test skips what depends on it and the run is retried with backoff; a run past
its timeout is cancelled and failed; pause and resume; a backfill run twice leaves the same table; a bad project is refused naming the file and
line; a SIGKILL during a run leaves the table at one version and the run is retried after the
restart."""

import json
import time

import lagoa_harness as h

SCHEMA = "user_id BIGINT NOT NULL, url VARCHAR, ts TIMESTAMPTZ"
WAIT_S = 60


class JobsTest(h.ServerTestCase):

    def deploy(self, project, server=None):
        r = h.run_cli(["project", "deploy", "--project", project], url=(server or self.server).url)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        return r.stdout.decode()

    def query(self, sql, server=None):
        r = h.run_cli(["sql", "-c", sql, "--format", "json"], url=(server or self.server).url)
        self.assertEqual(r.returncode, 0, f"{sql}: {r.stderr.decode()}")
        return [json.loads(line) for line in r.stdout.decode().splitlines() if line.strip()]

    def runs(self, job, server=None):
        status, body, _ = (server or self.server).json("GET", f"/v1/jobs/{job}/runs?limit=100")
        self.assertEqual(status, 200, body)
        return list(reversed(body["runs"]))  # oldest first

    def wait_runs(self, job, predicate, server=None, what="runs"):
        deadline = time.monotonic() + WAIT_S
        while True:
            runs = self.runs(job, server)
            if predicate(runs):
                return runs
            if time.monotonic() > deadline:
                self.fail(f"{job}: {what} did not happen within {WAIT_S} s; runs: {json.dumps(runs, indent=1)}")
            time.sleep(0.2)

    def post_clicks(self, stream, first, count, day="2024-03-01"):
        events = [{"user_id": i % 4, "url": f"/p{i % 3}", "ts": f"{day}T10:00:00Z"} for i in range(first, first + count)]
        status, reply, _ = self.server.post_events(stream, "".join(json.dumps(e) + "\n" for e in events))
        self.assertEqual(status, 200, reply)

    def test_deployed_jobs_run_on_schedule_in_order_with_history(self):
        s = self.server
        s.create_stream("visits", SCHEMA)
        self.post_clicks("visits", 0, 30)
        project = h.write_files(self.tmp_path("web"), {
            "lagoa_project.yml": """name: web
jobs:
  often:
    every: 2 seconds
  on_visits:
    command: run
    select: visit_count
    on_new_data: visits
    check_every: 1 second
  morning:
    cron: "0 6 * * *"
    timezone: America/New_York
    select: +daily_visits
""",
            "models/stg_visits.sql": "SELECT user_id, url, ts FROM {{ source('visits') }}",
            "models/daily_visits.sql":
                "{{ config(materialized='table') }}\n"
                "SELECT url, count(*) AS n FROM {{ ref('stg_visits') }} GROUP BY url",
            "models/visit_count.sql":
                "{{ config(materialized='table') }}\nSELECT count(*) AS n FROM {{ source('visits') }}",
            "models/schema.yml": "models:\n  - name: daily_visits\n    columns:\n      - name: url\n"
                                 "        tests: [not_null, unique]\n",
        })
        out = self.deploy(project)
        self.assertIn("deployed project web (version 1): 3 models", out)

        runs = self.wait_runs("often", lambda rs: any(r["status"] == "succeeded" for r in rs))
        run = next(r for r in runs if r["status"] == "succeeded")
        self.assertEqual(run["trigger"], "schedule")
        steps = [(st["name"], st["outcome"]) for st in run["steps"]]
        names = [name for name, _ in steps]
        self.assertLess(names.index("stg_visits"), names.index("daily_visits"))
        self.assertTrue(all(outcome in ("built", "passed") for _, outcome in steps), steps)
        self.assertEqual(sum(1 for st in run["steps"] if st["kind"] == "test"), 2)
        self.assertEqual(self.query("SELECT sum(n) AS n FROM daily_visits"), [{"n": 30}])

        # The on_new_data job ran once for what the stream held, and runs again for new events.
        self.wait_runs("on_visits", lambda rs: len(rs) >= 1 and rs[0]["status"] == "succeeded")
        self.post_clicks("visits", 30, 12)
        self.wait_runs("on_visits", lambda rs: any(r["trigger"] == "new data" and r["status"] == "succeeded"
                                                   and r["upstream_versions"] != rs[0]["upstream_versions"]
                                                   for r in rs[1:]), what="a run for the new events")
        self.assertEqual(self.query("SELECT n FROM visit_count"), [{"n": 42}])

        # Pause: nothing starts; resume: runs go on.
        r = h.run_cli(["jobs", "pause", "often"], url=s.url)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        time.sleep(0.5)  # a run started before the pause may still end
        count = len(self.runs("often"))
        time.sleep(4.5)
        self.assertEqual(len(self.runs("often")), count, "a paused job ran")
        r = h.run_cli(["jobs", "resume", "often"], url=s.url)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.wait_runs("often", lambda rs: len(rs) > count, what="a run after resume")

        r = h.run_cli(["jobs", "list"], url=s.url)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        listing = r.stdout.decode()
        self.assertIn("every 2 seconds", listing)
        self.assertIn("cron 0 6 * * * (America/New_York)", listing)
        status, job, _ = s.json("GET", "/v1/jobs/morning")
        self.assertEqual(status, 200, job)
        # 06:00 in New York is 10:00 or 11:00 UTC, by the season.
        self.assertRegex(job["next_due"], r"T1[01]:00:00\.000000Z$")

        r = h.run_cli(["jobs", "runs", "often"], url=s.url)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertIn("succeeded", r.stdout.decode())
        r = h.run_cli(["jobs", "logs", "often", "--run", str(run["id"])], url=s.url)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertIn(f"run {run['id']} of job often (schedule", r.stdout.decode())
        self.assertIn("daily_visits", r.stdout.decode())
        metrics = h.parse_metrics(s.metrics()[0])
        key = ("lagoa_job_runs_total", frozenset({("job", "often"), ("status", "succeeded")}))
        self.assertGreaterEqual(metrics.get(key, 0), 1, [k for k in metrics if k[0] == "lagoa_job_runs_total"])

        # Undeploy: no more runs.
        r = h.run_cli(["project", "remove", "web"], url=s.url)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        status, body, _ = s.json("GET", "/v1/jobs")
        self.assertEqual([j["name"] for j in body["jobs"] if j["project"] == "web"], [])

    def test_a_failing_test_skips_dependents_and_the_run_is_retried(self):
        s = self.server
        s.create_stream("taps", SCHEMA)
        self.post_clicks("taps", 0, 8)
        project = h.write_files(self.tmp_path("flaky"), {
            "lagoa_project.yml": """name: flaky
jobs:
  nightly_taps:
    retries: 2
    retry_delay: 1 second
    retry_delay_max: 2 seconds
""",
            "models/tap_users.sql": "{{ config(materialized='table') }}\nSELECT user_id FROM {{ source('taps') }}",
            "models/tap_summary.sql": "SELECT count(*) AS n FROM {{ ref('tap_users') }}",
            "models/schema.yml": "models:\n  - name: tap_users\n    columns:\n      - name: user_id\n"
                                 "        tests: [unique]\n",
        })
        self.deploy(project)
        r = h.run_cli(["jobs", "run", "nightly_taps"], url=s.url)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        runs = self.wait_runs("nightly_taps", lambda rs: len(rs) == 3 and all(r["status"] == "failed" for r in rs),
                              what="a run and its two retries")
        self.assertEqual([(r["trigger"], r["attempt"]) for r in runs], [("manual", 1), ("retry", 2), ("retry", 3)])
        for run in runs:
            self.assertIn("1 tests failed", run["error"])
            outcomes = {st["name"]: st["outcome"] for st in run["steps"]}
            self.assertEqual(outcomes["tap_users"], "built")
            self.assertEqual(outcomes["tap_summary"], "skipped")
        # Retries waited their delay (1 s, then 2 s, less a quarter at most).
        self.assertGreaterEqual(runs[1]["started_ms"] - runs[0]["finished_ms"], 700)
        self.assertGreaterEqual(runs[2]["started_ms"] - runs[1]["finished_ms"], 1400)
        time.sleep(3)
        self.assertEqual(len(self.runs("nightly_taps")), 3, "retried more than `retries`")

    def test_a_run_past_its_timeout_is_cancelled_and_failed(self):
        s = self.server
        project = h.write_files(self.tmp_path("slow"), {
            "lagoa_project.yml": "name: slow\njobs:\n  endless:\n    command: run\n    timeout: 1 second\n",
            "models/endless_sum.sql":
                "{{ config(materialized='table') }}\n"
                "SELECT sum(i * i % 7) AS s FROM range(100000000000) AS t(i)",
        })
        self.deploy(project)
        r = h.run_cli(["jobs", "run", "endless"], url=s.url)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        run = self.wait_runs("endless", lambda rs: len(rs) == 1 and rs[0]["status"] == "failed")[0]
        self.assertEqual(run["error"], "timed out after 1 second")
        self.assertLess(run["finished_ms"] - run["started_ms"], 20_000)
        self.assertEqual(self.query("SELECT count(*) AS n FROM lagoa_catalog() WHERE name = 'endless_sum'"), [{"n": 0}])
        # The worker is free again: the next run starts (and times out) too.
        r = h.run_cli(["jobs", "run", "endless"], url=s.url)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.wait_runs("endless", lambda rs: len(rs) == 2 and rs[1]["status"] == "failed")

    def test_a_backfill_run_twice_leaves_the_same_table(self):
        s = self.server
        s.create_stream("sales", SCHEMA)
        for day in range(1, 5):
            self.post_clicks("sales", 0, day * 3, day=f"2024-03-0{day}")
        project = h.write_files(self.tmp_path("bf"), {
            "lagoa_project.yml": "name: bf\njobs:\n  per_day:\n    command: run\n",
            "models/sales_by_day.sql":
                "{{ config(materialized='incremental', incremental_strategy='merge', unique_key='day') }}\n"
                "SELECT DATE '{{ var('logical_date') }}' AS day, count(*) AS n FROM {{ source('sales') }}\n"
                "WHERE CAST(ts AS DATE) = DATE '{{ var('logical_date') }}'",
        })
        self.deploy(project)

        def backfill(done):
            r = h.run_cli(["jobs", "backfill", "per_day", "--from", "2024-03-01", "--to", "2024-03-04"], url=s.url)
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            self.assertIn("4 runs queued", r.stdout.decode())
            return self.wait_runs("per_day", lambda rs: len(rs) == done and all(r["status"] == "succeeded" for r in rs))

        runs = backfill(4)
        self.assertEqual([r["logical_date"] for r in runs], ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"])
        first = self.query("SELECT CAST(day AS VARCHAR) AS day, n FROM sales_by_day ORDER BY day")
        self.assertEqual(first, [{"day": f"2024-03-0{d}", "n": d * 3} for d in range(1, 5)])
        backfill(8)
        self.assertEqual(self.query("SELECT CAST(day AS VARCHAR) AS day, n FROM sales_by_day ORDER BY day"), first)

        r = h.run_cli(["jobs", "backfill", "per_day", "--from", "2024-03-04", "--to", "2024-03-01"], url=s.url)
        self.assertEqual(r.returncode, 1)
        self.assertIn("to 2024-03-01 is before from 2024-03-04", r.stderr.decode())

    def test_a_bad_project_is_refused_naming_the_file_and_line(self):
        s = self.server
        bad = h.write_files(self.tmp_path("bad"), {
            "lagoa_project.yml": "name: bad\njobs:\n  hourly:\n    cron: \"61 * * * *\"\n",
            "models/one.sql": "SELECT 1 AS x",
        })
        r = h.run_cli(["project", "deploy", "--project", bad], url=s.url)
        self.assertEqual(r.returncode, 1)
        self.assertIn("lagoa_project.yml:4:11: job `hourly`: cron `61 * * * *`: minute: `61`: expected a number "
                      "from 0 to 59", r.stderr.decode())
        zone = h.write_files(self.tmp_path("zone"), {
            "lagoa_project.yml": "name: zone\njobs:\n  hourly:\n    cron: \"0 * * * *\"\n    timezone: Mars/Base\n",
            "models/one.sql": "SELECT 1 AS x",
        })
        r = h.run_cli(["project", "deploy", "--project", zone], url=s.url)
        self.assertEqual(r.returncode, 1)
        self.assertIn("time zone `Mars/Base`: not in the time zone database", r.stderr.decode())
        # A job name another project has.
        one = h.write_files(self.tmp_path("one"), {
            "lagoa_project.yml": "name: one\njobs:\n  shared_name:\n    every: 1 hour\n",
            "models/a.sql": "SELECT 1 AS x",
        })
        two = h.write_files(self.tmp_path("two"), {
            "lagoa_project.yml": "name: two\njobs:\n  shared_name:\n    every: 1 hour\n",
            "models/b.sql": "SELECT 1 AS x",
        })
        self.deploy(one)
        r = h.run_cli(["project", "deploy", "--project", two], url=s.url)
        self.assertEqual(r.returncode, 1)
        self.assertIn("job `shared_name` is a job of another project", r.stderr.decode())
        # A path outside the project's folders, sent by hand.
        status, body, _ = s.json("PUT", "/v1/projects/sneaky",
                                 {"files": {"lagoa_project.yml": "name: sneaky\n", "../escape.sql": "SELECT 1"}})
        self.assertEqual(status, 400, body)
        self.assertIn("file `../escape.sql`", body["error"])

    def test_sigkill_during_a_run_leaves_one_version_and_the_run_is_retried(self):
        s = self.start_server()
        rows = h.scaled(6_000_000, 600_000)
        project = h.write_files(self.tmp_path("heavy"), {
            "lagoa_project.yml": "name: heavy\njobs:\n  big:\n    command: run\n    retries: 1\n"
                                 "    retry_delay: 0 seconds\n",
            "models/big_table.sql":
                "{{ config(materialized='table') }}\n"
                f"SELECT i, {{{{ var('run_id') }}}} AS run, repeat('x', 200) AS pad FROM range({rows}) AS t(i)",
        })
        self.deploy(project, server=s)
        r = h.run_cli(["jobs", "run", "big"], url=s.url)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        first = self.wait_runs("big", lambda rs: len(rs) == 1 and rs[0]["status"] == "succeeded", server=s)[0]
        r = h.run_cli(["jobs", "run", "big"], url=s.url)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.wait_runs("big", lambda rs: len(rs) == 2 and rs[1]["status"] == "running", server=s)
        time.sleep(0.3)
        s.kill()
        s.start()
        got = self.query("SELECT count(*) AS n, count(DISTINCT run) AS runs FROM big_table", server=s)
        self.assertEqual(got, [{"n": rows, "runs": 1}])
        runs = self.wait_runs("big", lambda rs: len(rs) == 3 and rs[2]["status"] == "succeeded", server=s,
                              what="the retry of the run the kill cut short")
        self.assertEqual((runs[1]["status"], runs[1]["error"]), ("failed", "the server stopped during the run"))
        self.assertEqual((runs[2]["trigger"], runs[2]["attempt"]), ("retry", 2))
        got = self.query("SELECT count(*) AS n, min(run) AS run FROM big_table", server=s)
        self.assertEqual(got, [{"n": rows, "run": runs[2]["id"]}])
        self.assertNotEqual(runs[2]["id"], first["id"])


if __name__ == "__main__":
    h.main()
