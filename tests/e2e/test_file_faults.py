"""Fault injection and crash-point sweeps on the real binary (src/base/file_faults.h).

One workload exercises every kind of durable file operation the server makes: creating a stream
with a lake table (catalog, log directory, Delta commit), ingest in rounds with a load after each
(segments rolling at 16 KiB, their index files, the key journal, Parquet through the object
store, a Delta checkpoint at version 10), a compaction (OPTIMIZE), and creating and dropping a
second stream. A first run with LAGOA_FAULT_TRACE lists the operations it passes; each becomes a
point: the operation and a glob of its path with every number and hexadecimal name made a '*'.

- The crash sweep kills the process (SIGKILL from the hook, not a timer) just before the first
  sync, rename or link of each point, then restarts it without faults.
- The error sweep fails the first call of each point (every operation kind) with EIO, and the
  first three writes of each write point with ENOSPC, then lets the workload go on.
In both, every answer the server gives must be a success or a JSON error with a message; the
server must not crash on an error; and after a restart without faults an independent check finds
every acknowledged event exactly once in the log (read by offset) and in the lake (the Delta log
replayed here, its Parquet files read by DuckDB), with every file the Delta log names present.

Environment: LAGOA_E2E_SWEEP=full (the longer mode) also crashes just after each point and at its
second and last call; LAGOA_DUCKDB_QUERY is the DuckDB query tool (see delta_check.py)."""

import json
import os
import re
import time

import delta_check as dc
import lagoa_harness as h

STREAM = "points"
OTHER = "points_other"
APP_ID = f"lagoa:{STREAM}:0"
SCHEMA = "id BIGINT NOT NULL, payload VARCHAR"
ROUNDS = 11  # load commits 1..11 after the create at version 0: a checkpoint at version 10
EVENTS_PER_ROUND = 40
FLAGS = ["--lake-load-interval-ms", "50", "--lake-maintenance-interval-ms", "-1", "--segment-bytes-max", "16KiB"]
FULL = os.environ.get("LAGOA_E2E_SWEEP", "") == "full"
LOAD_WAIT_S = 5.0
CATCH_UP_TIMEOUT_S = 60.0
NUMBER_RE = re.compile(r"[0-9a-f]*[0-9][0-9a-f]*")


class ServerDown(Exception):
    pass


class Workload:
    """The steps, run against one server until it dies; what was acknowledged is kept across
    server lives. Every reply that is not a success must be a JSON error with a message."""

    def __init__(self, table_dir):
        self.table_dir = table_dir
        self.acked = set()  # ids of events a 200 acknowledged
        self.stream_created = False
        self.bad_replies = []
        self.errors = []  # the messages of error replies

    def call(self, server, method, path, body=None, headers=None, tries=3):
        """The reply's (status, JSON body); retries a 5xx (a transient fault) up to `tries` times."""
        for _ in range(tries):
            try:
                status, resp_headers, data = server.request(method, path, body, headers, timeout=30)
            except OSError as e:
                raise ServerDown(str(e))
            parsed = None
            try:
                parsed = json.loads(data) if data else None
            except ValueError:
                pass
            if status >= 400:
                message = parsed.get("error") if isinstance(parsed, dict) else None
                if not isinstance(message, str) or not message:
                    self.bad_replies.append(f"{method} {path} -> {status} without a JSON error: {data[:300]!r}")
                else:
                    self.errors.append(f"{status} {message}")
            if status < 500:
                return status, parsed
            time.sleep(0.05)
        return status, parsed

    def run(self, server):
        status, _ = self.call(server, "PUT", f"/v1/streams/{STREAM}", json.dumps({"schema": SCHEMA, "partitions": 1}),
                              {"Content-Type": "application/json"})
        if status in (200, 201, 409):
            self.stream_created = True
        for r in range(ROUNDS):
            ids = list(range(r * 1000, r * 1000 + EVENTS_PER_ROUND))
            body = "".join(json.dumps({"id": i, "payload": f"p{i}-" + "x" * (i % 97)}) + "\n" for i in ids)
            status, reply = self.call(server, "POST", f"/v1/streams/{STREAM}/events", body,
                                      {"Content-Type": "application/x-ndjson", "Idempotency-Key": f"round-{r}"})
            if status == 200 and reply.get("accepted") == len(ids):
                self.acked.update(ids)
                self.wait_loaded(reply["last_offset"])
            if r == 3:
                self.call(server, "PUT", f"/v1/streams/{OTHER}", json.dumps({"schema": SCHEMA, "lake": {"enabled": False}}),
                          {"Content-Type": "application/json"})
                self.call(server, "POST", f"/v1/streams/{OTHER}/events", '{"id":1}\n',
                          {"Content-Type": "application/x-ndjson"})
                self.call(server, "DELETE", f"/v1/streams/{OTHER}")
            if r == 6:
                self.call(server, "POST", f"/v1/tables/{STREAM}/compact")
        self.call(server, "POST", "/v1/sql", f"SELECT count(*) FROM {STREAM}", {"Content-Type": "text/plain"})

    def wait_loaded(self, last_offset):
        """Until the lake holds `last_offset` (or LOAD_WAIT_S passed: a fault may delay loading)."""
        deadline = time.monotonic() + LOAD_WAIT_S
        while time.monotonic() < deadline:
            if loaded_through(self.table_dir) >= last_offset:
                return
            time.sleep(0.01)


def loaded_through(table_dir):
    try:
        return dc.DeltaLog(table_dir).txns.get(APP_ID, -1)
    except (FileNotFoundError, ValueError, KeyError):
        return -1


def point_glob(path, data_dir):
    """The glob of a traced path: relative to the data directory, numbers and hex names as '*'."""
    relative = os.path.relpath(path, data_dir)
    return re.sub(r"\*[-.*]*\*", "*", NUMBER_RE.sub("*", relative))


class FileFaultsTest(h.ServerTestCase):
    start_class_server = False

    def test_crash_at_every_sync_rename_and_link_point_loses_no_acknowledged_event(self):
        points = [p for p in self.trace_points() if p[0] in ("sync", "rename", "link")]
        rules = [(op, glob, "crash", 1) for op, glob, _ in points]
        if FULL:
            rules += [(op, glob, "crash-after", 1) for op, glob, _ in points]
            rules += [(op, glob, "crash", n) for op, glob, calls in points for n in sorted({2, calls}) if n <= calls]
        self.sweep(rules, expect_crash=True)

    def test_io_errors_at_every_point_are_clear_and_lose_no_acknowledged_event(self):
        points = self.trace_points()
        rules = [(op, glob, "EIO", 1) for op, glob, _ in points]
        rules += [(op, glob, "ENOSPC", 3) for op, glob, _ in points if op == "write"]
        rules.append(("write", "*", "short", 0))
        self.sweep(rules, expect_crash=False)

    def trace_points(self):
        """(op, glob, calls) of every point the workload passes, in the order first passed."""
        dc.tool("LAGOA_DUCKDB_QUERY")
        data_dir = self.tmp_path("trace-data")
        trace = self.tmp_path("trace.txt")
        server = self.start_server(FLAGS, env={"LAGOA_FAULT_TRACE": trace}, data_dir=data_dir)
        workload = Workload(os.path.join(data_dir, "lake", STREAM))
        workload.run(server)
        self.assertEqual(server.stop()[0], 0, server.stderr_tail())
        self.assertEqual(workload.errors + workload.bad_replies, [], "the fault-free run had errors")
        calls = {}
        with open(trace) as f:
            for line in f:
                op, path = line.rstrip("\n").split(" ", 1)
                key = (op, point_glob(path, data_dir))
                calls[key] = calls.get(key, 0) + 1
        kinds = {op for op, _ in calls}
        self.assertTrue({"open", "write", "sync", "rename", "link"} <= kinds, f"the workload passed only {sorted(kinds)}")
        print(f"\n[trace] {len(calls)} points, {sum(calls.values())} operations", flush=True)
        return [(op, glob, n) for (op, glob), n in calls.items()]

    def sweep(self, rules, expect_crash):
        summary = {"hit": 0, "not_reached": 0, "start_refused": 0}
        failures = []
        t0 = time.monotonic()
        for k, (op, glob, action, nth_or_times) in enumerate(rules):
            data_dir = self.tmp_path(f"run-{k}")
            if action == "crash" or action == "crash-after":
                rule = f"op={op},nth={nth_or_times},do={action}"
            else:
                rule = f"op={op},times={nth_or_times},do={action}"
            rule += f",path={os.path.abspath(data_dir)}/{glob}"
            try:
                outcome = self.run_one(data_dir, rule, expect_crash)
                summary[outcome] += 1
                if outcome == "not_reached":
                    print(f"  not reached: {rule}", flush=True)
            except AssertionError as e:
                failures.append(f"rule {rule}:\n{e}")
            self.remove_servers()
        print(f"\n[{'crash' if expect_crash else 'error'} sweep] {len(rules)} rules {summary} "
              f"in {time.monotonic() - t0:.1f} s", flush=True)
        self.assertEqual(failures, [], "\n\n".join(failures[:5]))
        self.assertGreater(summary["hit"], len(rules) // 2, "most points were never reached: the sweep tested little")

    def run_one(self, data_dir, rule, expect_crash):
        """One life with `rule`, one without; returns how the rule went: hit, not_reached or
        start_refused (a fault during startup that the server refused to start over)."""
        table_dir = os.path.join(data_dir, "lake", STREAM)
        workload = Workload(table_dir)
        faulty = self.new_server(FLAGS, env={"LAGOA_FAULTS": rule}, data_dir=data_dir)
        outcome = "hit"
        try:
            faulty.start()
            workload.run(faulty)
        except (h.ServerStartError, ServerDown):
            pass
        stopped_by_us = faulty.running()
        if stopped_by_us:  # a clean stop passes the points of shutdown (the last sync, index files)
            code, seconds, killed = faulty.stop()
            if killed:
                raise AssertionError(f"SIGTERM needed SIGKILL after a fault\n{faulty.stderr_tail()}")
        crashed = "file faults: crashing" in faulty.stderr_text()
        if stopped_by_us and not crashed:
            if expect_crash:
                outcome = "not_reached"  # the workload ended before the point: allowed, counted
        elif not crashed:
            if faulty.exit_code is not None and faulty.exit_code > 0 and not expect_crash and faulty.port is None:
                outcome = "start_refused"  # a clear refusal to start (the message is checked below)
            else:
                raise AssertionError(f"the server died (exit {faulty.exit_code}) without an injected crash\n"
                                     f"{faulty.stderr_tail()}")
        if not expect_crash and outcome == "hit" and "file faults: failing" not in faulty.stderr_text():
            outcome = "not_reached"
        if workload.bad_replies:
            raise AssertionError("\n".join(workload.bad_replies[:5]))
        if outcome == "start_refused" and not re.search(r"Input/output error|No space left", faulty.stderr_text()):
            raise AssertionError(f"the server refused to start without naming the fault\n{faulty.stderr_tail()}")

        clean = self.new_server(FLAGS, data_dir=data_dir)
        try:
            clean.start()
        except h.ServerStartError as e:
            raise AssertionError(f"no restart after the fault: {e}")
        self.check_everything_acknowledged_is_there(clean, workload)
        code, _, killed = clean.stop()
        if code != 0 or killed:
            raise AssertionError(f"the clean server did not stop cleanly (exit {code})\n{clean.stderr_tail()}")
        return outcome

    def check_everything_acknowledged_is_there(self, server, workload):
        status, desc, _ = server.json("GET", f"/v1/streams/{STREAM}")
        if status == 404:
            if workload.acked:
                raise AssertionError(f"the stream is gone but {len(workload.acked)} events were acknowledged")
            return
        if status != 200:
            raise AssertionError(f"GET /v1/streams/{STREAM} -> {status} {desc}")
        next_offset = desc["partitions"][0]["next_offset"]
        events = server.read_events(STREAM)
        log_ids = [e["id"] for e in events]
        problems = []
        if len(log_ids) != len(set(log_ids)):
            problems.append(f"the log holds {len(log_ids) - len(set(log_ids))} duplicate ids")
        if [e["_offset"] for e in events] != list(range(len(events))):
            problems.append("the log's offsets are not dense from 0")
        missing = workload.acked - set(log_ids)
        if missing:
            problems.append(f"{len(missing)} acknowledged ids are not in the log, e.g. {sorted(missing)[:5]}")
        deadline = time.monotonic() + CATCH_UP_TIMEOUT_S
        while loaded_through(workload.table_dir) < next_offset - 1:
            if time.monotonic() > deadline:
                raise AssertionError(f"the lake did not catch up to offset {next_offset - 1}\n{server.stderr_tail()}")
            time.sleep(0.05)
        log = dc.DeltaLog(workload.table_dir)
        problems += log.problems() + dc.add_problems(log)
        if log.active:
            rows = dc.duckdb_rows(f"SELECT _offset, id FROM read_parquet("
                                  f"{dc.parquet_list_sql(workload.table_dir, sorted(log.active))}) ORDER BY _offset")
        else:
            rows = []
        lake = [(r["_offset"], r["id"]) for r in rows]
        in_log = [(e["_offset"], e["id"]) for e in events]
        if lake != in_log:
            problems.append(f"the lake holds {len(lake)} rows, the log {len(in_log)} events; "
                            f"first difference: {next((a, b) for a, b in zip(lake + [None] * len(in_log), in_log) if a != b)}")
        if problems:
            raise AssertionError("\n".join(problems) + "\n" + server.stderr_tail(20))

    def remove_servers(self):
        """Servers of a finished run are stopped already; forget them so cleanup skips them."""
        self._saved_tails.extend(s.stderr_tail() for s in self._servers[-2:])
        self._servers[:] = [s for s in self._servers if s.running()]


if __name__ == "__main__":
    h.main()
