"""`lagoa table …` from a test: a mixin for h.ServerTestCase subclasses."""

import json
import time

import lagoa_harness as h


class TableCli:
    def cli(self, server, *args, expect=0):
        """Runs `lagoa table ARGS…` against `server`; asserts its exit code; stdout/stderr as text."""
        r = h.run_cli(["table", *args], url=server.url)
        r.stdout, r.stderr = r.stdout.decode(), r.stderr.decode()
        self.assertEqual(r.returncode, expect, f"lagoa table {' '.join(args)}:\n{r.stdout}\n{r.stderr}\n"
                                               f"{server.stderr_tail()}")
        return r

    def cat(self, server, name, *args):
        return [json.loads(line) for line in self.cli(server, "cat", name, *args).stdout.splitlines()]

    def describe(self, server, name):
        return json.loads(self.cli(server, "describe", name, "--json").stdout)

    def wait_rows(self, server, name, rows, timeout_s=60):
        """Until the table's description counts `rows` rows; returns the description."""
        deadline = time.monotonic() + timeout_s
        table = {}
        while time.monotonic() < deadline:
            r = h.run_cli(["table", "describe", name, "--json"], url=server.url)
            # Until the loader's first commit lands the table may not exist yet (404), even once
            # its _delta_log/ directory does.
            if r.returncode == 0:
                table = json.loads(r.stdout)
                if table.get("rows") == rows:
                    return table
            else:
                table = {"error": r.stdout.decode() + r.stderr.decode()}
            time.sleep(0.1)
        self.fail(f"table {name} never held {rows} rows: {table}\n{server.stderr_tail()}")
