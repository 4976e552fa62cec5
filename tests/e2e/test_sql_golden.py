"""SQL golden files (tests/sql/*.sql, format in tests/sql/README.md): each file runs top to bottom
against a fresh `lagoa server`; every statement goes through POST /v1/sql?format=csv and its
answer is compared with the rows the file expects.

The server runs with the lake loader off, so where each event is — in the lake or only in the log —
is exactly what the file says: `-- load: S` restarts the server with the loader on, waits until
S's table holds every event the log has, and restarts it with the loader off again. DuckDB's own
tables live in memory and do not survive a load.

Run one file: LAGOA_SQL_GOLDEN=live_tail python3 test_sql_golden.py"""

import json
import os
import time

import lagoa_harness as h

SQL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sql")
LOADER_OFF = ["--lake-load-interval-ms", "-1"]
LOADER_ON = ["--lake-load-interval-ms", "100"]
DIRECTIVES = ("stream:", "events:", "load:", "split:", "drop:", "query", "statement", "expect", "error:")


class GoldenError(AssertionError):
    pass


def directive(line):
    """(keyword, argument) when `line` is a directive (`-- keyword …`), else None."""
    if not line.startswith("-- "):
        return None
    text = line[3:].strip()
    for keyword in DIRECTIVES:
        if text == keyword or text.startswith(keyword + " ") or (keyword.endswith(":") and text.startswith(keyword)):
            return keyword.rstrip(":"), text[len(keyword):].strip()
    return None


def parse(path):
    """The file as a list of steps: dicts with `kind`, `line` and the kind's fields."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    steps = []
    i = 0

    def block(start, stop_at_comment):
        """Lines from `start` up to the next directive (or any `--` line, or a blank line for
        events) or the end; returns (lines, next index)."""
        out = []
        j = start
        while j < len(lines):
            line = lines[j]
            if directive(line) or (stop_at_comment and (line.startswith("--") or not line.strip())):
                break
            out.append(line)
            j += 1
        return out, j

    while i < len(lines):
        line, number = lines[i], i + 1
        d = directive(line)
        if d is None:
            if line.strip() and not line.startswith("--"):
                raise GoldenError(f"{path}:{number}: text outside a block: {line!r}")
            i += 1
            continue
        keyword, arg = d
        i += 1
        if keyword == "stream":
            name, _, body = arg.partition(" ")
            steps.append({"kind": "stream", "line": number, "name": name, "body": json.loads(body or "{}")})
        elif keyword == "events":
            events, i = block(i, stop_at_comment=True)
            name, *options = arg.split()
            rejected = int(options[0].removeprefix("rejected=")) if options else 0
            steps.append({"kind": "events", "line": number, "name": name, "rejected": rejected,
                          "body": "\n".join(events) + "\n"})
        elif keyword == "load":
            steps.append({"kind": "load", "line": number, "names": arg.split()})
        elif keyword == "drop":
            steps.append({"kind": "drop", "line": number, "name": arg})
        elif keyword == "split":
            name, *parts = arg.split()
            counts = dict(p.split("=") for p in parts)
            steps.append({"kind": "split", "line": number, "name": name, "lake": int(counts["lake"]),
                          "tail": int(counts["tail"])})
        elif keyword in ("query", "statement"):
            text, i = block(i, stop_at_comment=False)
            step = {"kind": keyword, "line": number, "sql": "\n".join(text).strip(), "mode": arg}
            if i < len(lines):
                nd = directive(lines[i])
                if nd and nd[0] == "expect":
                    step["expect_mode"] = nd[1]
                    expected, i = block(i + 1, stop_at_comment=False)
                    expected = [e for e in expected if not e.startswith("--")]
                    while expected and not expected[-1].strip():
                        expected.pop()
                    step["expect"] = expected
                elif nd and nd[0] == "error":
                    step["error"] = nd[1].replace("\\n", "\n")
                    i += 1
            if keyword == "query" and "expect" not in step and "error" not in step:
                raise GoldenError(f"{path}:{number}: a query needs -- expect or -- error:")
            if not step["sql"]:
                raise GoldenError(f"{path}:{number}: no SQL")
            steps.append(step)
        else:
            raise GoldenError(f"{path}:{number}: {keyword} without a query or statement before it")
    return steps


def golden_files():
    only = os.environ.get("LAGOA_SQL_GOLDEN")
    names = sorted(n for n in os.listdir(SQL_DIR) if n.endswith(".sql"))
    if only:
        names = [n for n in names if n[:-4] in only.split(",")]
    return [os.path.join(SQL_DIR, n) for n in names]


class GoldenRun:
    """One file against one server (its own data directory)."""

    def __init__(self, test, path):
        self.test = test
        self.path = path
        self.name = os.path.basename(path)
        self.data_dir = test.tmp_path(self.name[:-4])
        self.server = test.new_server(LOADER_OFF, data_dir=self.data_dir).start()
        self.statements = 0

    def where(self, step):
        return f"{self.name}:{step['line']}"

    def restart(self, flags):
        code, seconds, killed = self.server.stop()
        if code != 0 or killed:
            raise GoldenError(f"stopping the server gave exit {code} after {seconds:.1f} s\n{self.server.stderr_tail()}")
        self.server = self.test.new_server(flags, data_dir=self.data_dir).start()

    def table(self, name):
        status, body, _ = self.server.json("GET", f"/v1/tables/{h.quote(name)}")
        return body if status == 200 else None

    def counts(self, name):
        """(events in the lake by its txns, events in the log)."""
        status, stream, _ = self.server.json("GET", f"/v1/streams/{h.quote(name)}")
        if status != 200:
            raise GoldenError(f"GET /v1/streams/{name} -> {status} {stream}")
        logged = sum(p["next_offset"] for p in stream["partitions"])
        table = self.table(name)
        applications = (table or {}).get("applications", {})
        lake = sum(v + 1 for app, v in applications.items() if app.startswith(f"lagoa:{name}:"))
        return lake, logged

    def run(self):
        steps = parse(self.path)
        pending_split = None
        for step in steps:
            kind = step["kind"]
            if kind == "stream":
                status, body, _ = self.server.json("PUT", f"/v1/streams/{h.quote(step['name'])}", step["body"])
                if status != 201:
                    raise GoldenError(f"{self.where(step)}: creating {step['name']}: {status} {body}")
            elif kind == "events":
                status, reply, _ = self.server.post_events(step["name"], step["body"])
                if status != 200 or reply.get("rejected") != step["rejected"]:
                    raise GoldenError(f"{self.where(step)}: posting events: {status} {reply}")
            elif kind == "drop":
                status, body, _ = self.server.json("DELETE", f"/v1/streams/{h.quote(step['name'])}")
                if status != 200:
                    raise GoldenError(f"{self.where(step)}: dropping {step['name']}: {status} {body}")
            elif kind == "load":
                self.load(step)
            elif kind == "split":
                pending_split = step
                self.check_split(step, "before the next statement")
            else:
                self.statement(step)
                if pending_split is not None:
                    self.check_split(pending_split, "after the statement")
                    pending_split = None
        return len(steps)

    def load(self, step):
        self.restart(LOADER_ON)
        deadline = time.monotonic() + 60
        for name in step["names"]:
            lake, logged = self.counts(name)
            while time.monotonic() < deadline:
                lake, logged = self.counts(name)
                table = self.table(name)
                if lake == logged and table is not None and table.get("rows") == logged:
                    break
                time.sleep(0.05)
            else:
                raise GoldenError(f"{self.where(step)}: {name}: the lake holds {lake} of {logged} events after "
                                  f"60 s\n{self.server.stderr_tail()}")
        self.restart(LOADER_OFF)

    def check_split(self, step, when):
        lake, logged = self.counts(step["name"])
        if (lake, logged - lake) != (step["lake"], step["tail"]):
            raise GoldenError(f"{self.where(step)}: {when}: {step['name']} has {lake} events in the lake and "
                              f"{logged - lake} only in the log, the file says lake={step['lake']} tail={step['tail']}")

    def statement(self, step):
        self.statements += 1
        status, headers, data = self.server.request("POST", "/v1/sql?format=csv", step["sql"],
                                                    {"Content-Type": "text/plain"})
        text = data.decode("utf-8")
        where = f"{self.where(step)}: {step['sql']!r}"
        if "error" in step:
            if not 400 <= status < 500:
                raise GoldenError(f"{where}: expected an error containing {step['error']!r}, got {status}:\n{text}")
            message = json.loads(text)["error"]
            if step["error"] not in message:
                raise GoldenError(f"{where}: the error lacks {step['error']!r}:\n{message}")
            return
        if status != 200:
            raise GoldenError(f"{where}: HTTP {status}:\n{text}")
        if "expect" not in step:
            return
        got = text.split("\n")
        if got and got[-1] == "":
            got.pop()
        want = list(step["expect"])
        mode = step.get("expect_mode", "")
        if mode == "contains":
            missing = [w for w in want if w not in text]
            if missing:
                raise GoldenError(f"{where}: the result lacks {missing}:\n{text}")
            return
        if mode == "rowsort":
            got = got[:1] + sorted(got[1:])
            want = want[:1] + sorted(want[1:])
        elif mode:
            raise GoldenError(f"{where}: unknown expect mode {mode!r}")
        if got != want:
            raise GoldenError(f"{where}: wrong result\n--- expected\n" + "\n".join(want) + "\n--- got\n" +
                              "\n".join(got))


class SqlGoldenTest(h.ServerTestCase):
    start_class_server = False

    def test_golden_files(self):
        files = golden_files()
        self.assertTrue(files, f"no golden files in {SQL_DIR}")
        failures = []
        for path in files:
            t0 = time.monotonic()
            run = None
            try:
                run = GoldenRun(self, path)
                run.run()
                print(f"[golden] {os.path.basename(path)}: {run.statements} statements ok "
                      f"({time.monotonic() - t0:.1f} s)", flush=True)
            except GoldenError as e:
                failures.append(str(e))
                print(f"[golden] {os.path.basename(path)}: FAILED\n{e}", flush=True)
            finally:
                if run is not None and run.server.running():
                    code, _, killed = run.server.stop()
                    if code != 0 or killed:
                        failures.append(f"{path}: the server stopped with exit {code}")
        self.assertFalse(failures, "\n\n".join(failures))


if __name__ == "__main__":
    h.main()
