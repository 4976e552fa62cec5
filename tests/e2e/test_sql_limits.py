"""The limits that bound how long DuckDB plans a statement, through the real binary: DuckDB looks at
no interrupt while it parses, binds and optimizes, so neither the statement timeout nor a cancel
stops a statement whose planning takes minutes (a 200,000-term OR chain once planned for 7 minutes
and held SIGTERM). lagoa refuses such texts before DuckDB sees them, over HTTP and over psql: a text
longer than `sql_text_bytes_max` (256 KiB by default) and a statement with more AND/OR operators
than `sql_boolean_operators_max`. And SIGTERM stops the server within seconds whatever its
statements are doing."""

import json
import shutil
import subprocess
import threading
import time

import lagoa_harness as h
from test_sql import psql_env, sql

TEXT_BYTES_MAX = 256 << 10
QUICK_S = 30.0  # a refusal scans the text (seconds under ASan); planning it took minutes before the limits


def or_chain(terms):
    """SELECT … WHERE x = 0 OR x = 1 …: DuckDB 1.4 plans it in time growing with terms squared
    (10,000 terms: 4 s; 20,000: 11 s)."""
    return "SELECT count(*) FROM range(10) t(x) WHERE x = 0" + "".join(f" OR x = {i}" for i in range(1, terms))


def psql_script(server, text, timeout=60):
    """Runs `text` as psql's script on stdin (a 300 KiB -c argument is past Linux's limit for one
    argument); returns the CompletedProcess."""
    cmd = ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(server.pg_port), "-U", "x",
           "-d", "lagoa"]
    return subprocess.run(cmd, input=text, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=psql_env(),
                          timeout=timeout, text=True)


class SqlLimitsTest(h.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("psql") is None:
            raise AssertionError("psql is missing (Debian: postgresql-client; scripts/bootstrap installs it)")
        super().setUpClass()

    def assert_refused_quickly(self, text, expected, what):
        """POST /v1/sql and psql both refuse `text` within QUICK_S with a message holding every
        string in `expected`; the server answers the next statement. Returns both messages."""
        s = self.server
        t0 = time.monotonic()
        status, body, _ = sql(s, text)
        seconds = time.monotonic() - t0
        self.assertEqual(status, 400, f"{what} over HTTP: {body[:500]}")
        error = json.loads(body)["error"]
        for part in expected:
            self.assertIn(part, error, f"{what} over HTTP")
        self.assertLess(seconds, QUICK_S, f"{what} over HTTP took {seconds:.1f} s")
        t0 = time.monotonic()
        r = psql_script(s, text + ";\n")
        seconds = time.monotonic() - t0
        self.assertNotEqual(r.returncode, 0, f"{what} over psql: {r.stdout[:500]}")
        for part in expected:
            self.assertIn(part, r.stderr, f"{what} over psql")
        self.assertLess(seconds, QUICK_S, f"{what} over psql took {seconds:.1f} s")
        status, body, _ = sql(s, "SELECT 42 AS alive")
        self.assertEqual((status, json.loads(body).get("rows")), (200, [[42]]), body)
        return error, r.stderr

    def test_a_text_over_256_kib_is_refused_naming_its_size_the_limit_and_the_key(self):
        text = "SELECT length('" + "x" * (300 << 10) + "')"
        http_error, psql_error = self.assert_refused_quickly(
            text, [f"at most {TEXT_BYTES_MAX}", "sql_text_bytes_max"], "a 300 KiB text")
        self.assertIn(f"the SQL text is {len(text)} bytes", http_error)
        self.assertIn(f"the SQL text is {len(text) + 1} bytes", psql_error)  # psql sends the ';' too
        # Just under the limit runs.
        status, body, _ = sql(self.server, "SELECT length('" + "x" * (200 << 10) + "') AS n")
        self.assertEqual((status, json.loads(body).get("rows")), (200, [[200 << 10]]), body[:500])

    def test_a_huge_or_chain_is_refused_before_duckdb_plans_it(self):
        chain = or_chain(20_000)  # under 256 KiB: the AND/OR limit refuses it
        self.assertLess(len(chain), TEXT_BYTES_MAX)
        self.assert_refused_quickly(chain, ["19999 AND/OR operators", "sql_boolean_operators_max", "IN ("],
                                    "a 20,000-term OR chain")
        # The probe's 200,000 terms (2.4 MB): the text limit refuses it first.
        self.assert_refused_quickly(or_chain(200_000), ["sql_text_bytes_max"], "a 200,000-term OR chain")
        # The same values as an IN list plan at once.
        status, body, _ = sql(self.server, "SELECT count(*) AS n FROM range(10) t(x) WHERE x IN ("
                              + ", ".join(str(i) for i in range(20_000)) + ")")
        self.assertEqual((status, json.loads(body).get("rows")), (200, [[10]]), body[:500])


def peak_rss_bytes(server):
    with open(f"/proc/{server.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/PID/status")


class SqlMemoryTest(h.ServerTestCase):
    """DuckDB's memory_limit does not see the strings a statement builds: `repeat('x', 3e9)` once
    took the server to 6 GiB with sql_memory_limit 256 MiB, and a statement over a limit answered
    429, which clients retry. Now DuckDB's allocator is capped (duckdb_memory_max, derived from the
    DuckDB shares): the statement fails with 422 / SQLSTATE 53200 and the process stays small."""
    class_server_args = ("--sql-memory-limit", "256MiB")
    PEAK_BYTES_MAX = 1536 << 20  # the derived duckdb_memory_max here is 1.5 GiB

    def test_a_statement_building_a_3_gb_string_fails_clearly_and_the_process_stays_under_its_budget(self):
        s = self.server
        statement = "SELECT length(repeat('x', 3000000000)) AS n"
        status, body, headers = sql(s, statement)
        self.assertEqual(status, 422, body[:500])
        self.assertNotIn("retry-after", {k.lower() for k in headers}, "a limit is not a reason to retry")
        error = json.loads(body)["error"]
        for part in ("Out of Memory", "duckdb_memory_max", "sql_memory_limit"):
            self.assertIn(part, error)
        r = psql_script(s, "\\set VERBOSITY verbose\n" + statement + ";\n")
        self.assertNotEqual(r.returncode, 0, r.stdout[:500])
        self.assertIn("53200", r.stderr)
        status, body, _ = sql(s, "SELECT 42 AS alive")
        self.assertEqual((status, json.loads(body).get("rows")), (200, [[42]]), body)
        # Strings DuckDB may build still work: 100 MB.
        status, body, _ = sql(s, "SELECT length(repeat('x', 100000000)) AS n")
        self.assertEqual((status, json.loads(body).get("rows")), (200, [[100000000]]), body[:500])
        peak = peak_rss_bytes(s)
        self.assertLess(peak, self.PEAK_BYTES_MAX, f"the server's peak RSS was {peak >> 20} MiB")


class SqlShutdownTest(h.ServerTestCase):
    start_class_server = False

    def test_sigterm_stops_the_server_within_seconds_whatever_its_statements_do(self):
        s = self.start_server()
        answers = {}

        def http(name, text):
            try:
                answers[name] = sql(s, text, timeout=120)[:2]
            except Exception as e:  # the server closes the connection as it stops
                answers[name] = (None, repr(e))

        def pg(name, text):
            r = psql_script(s, text + ";\n", timeout=120)
            answers[name] = (r.returncode, r.stderr)

        long_run = "SELECT count(*) FROM range(1000000000000) a"
        threads = [threading.Thread(target=http, args=("http executing", long_run)),
                   threading.Thread(target=pg, args=("psql executing", long_run)),
                   # 30,000 terms planned for about half a minute before lagoa refused such texts.
                   threading.Thread(target=http, args=("http planning", or_chain(30_000)))]
        for t in threads:
            t.start()
        time.sleep(2.0)  # every statement is executing or being planned (or already refused)
        code, seconds, killed = s.stop(grace_s=30)
        for t in threads:
            t.join(timeout=60)
        print(f"[sql_limits] SIGTERM: exit {code} after {seconds:.1f} s; answers "
              f"{ {k: (v[0], str(v[1])[:120]) for k, v in answers.items()} }", flush=True)
        self.assertFalse(killed, "the server needed SIGKILL")
        self.assertEqual(code, 0, s.stderr_tail())
        self.assertLess(seconds, 5.0, f"SIGTERM took {seconds:.1f} s to stop the server\n{s.stderr_tail()}")
        self.assertEqual(len(answers), 3, answers)


if __name__ == "__main__":
    h.main()
