"""Lake tables through `lagoa table …` and /v1/tables: list, describe, history, cat (by version and
by time), compaction in the background and on demand, VACUUM, per-stream opt-out, and attaching the
Delta tables Apache Spark wrote (../shared/testdata/delta-golden), read-only."""

import json
import os
import time

import lagoa_harness as h
from table_cli import TableCli

SCHEMA = "user_id BIGINT, url VARCHAR, ts TIMESTAMPTZ"
# Loads often; maintains (compacts, cleans, vacuums) every 1.5 s.
FLAGS = ["--lake-load-interval-ms", "150", "--lake-maintenance-interval-ms", "1500"]


def golden_dir():
    base = os.environ.get("LAGOA_TESTDATA_DIR") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "testdata")
    path = os.path.abspath(os.path.join(base, "delta-golden"))
    if not os.path.isdir(path):
        raise AssertionError(f"the golden Delta tables are missing: {path}")
    return path


def events(start, count):
    return "".join(json.dumps({"user_id": i, "url": f"/p{i}", "ts": "2026-11-25T10:00:00Z"}) + "\n"
                   for i in range(start, start + count))


class LakeTablesTest(TableCli, h.ServerTestCase):
    start_class_server = False

    def test_stream_tables_are_listed_read_compacted_and_vacuumed(self):
        server = self.start_server(FLAGS)
        server.create_stream("clicks", SCHEMA)
        status, reply, _ = server.json("PUT", "/v1/streams/quiet",
                                       json.dumps({"schema": "a BIGINT", "lake": {"enabled": False}}))
        self.assertEqual(status, 201, reply)

        # Several small loads: each becomes a file and a commit.
        sent = 0
        for _ in range(5):
            status, reply, _ = server.post_events("clicks", events(sent, 20))
            self.assertEqual(status, 200, reply)
            sent += 20
            self.wait_rows(server, "clicks", sent)
        status, reply, _ = server.post_events("quiet", '{"a": 1}\n')
        self.assertEqual(status, 200, reply)

        listing = self.cli(server, "list").stdout
        self.assertIn("clicks", listing)
        self.assertNotIn("quiet", listing, "an opted-out stream has no lake table")
        r = self.cli(server, "describe", "quiet", expect=1)
        self.assertIn('"lake": {"enabled": false}', r.stderr)
        self.assertFalse(os.path.exists(os.path.join(server.data_dir, "lake", "quiet")))

        text = self.cli(server, "describe", "clicks").stdout
        for expected in ("clicks (stream, read-write)", "user_id", "BIGINT", "_offset", "lagoa:clicks:0 = 99"):
            self.assertIn(expected, text)

        # The background maintenance compacts the small files into one, with the same rows.
        deadline = time.monotonic() + 60
        table = {}
        while time.monotonic() < deadline:
            table = self.describe(server, "clicks")
            if table["files"] == 1:
                break
            time.sleep(0.2)
        self.assertEqual(table["files"], 1, f"never compacted: {table}\n{server.stderr_tail()}")
        self.assertEqual(table["rows"], sent)
        history = json.loads(self.cli(server, "history", "clicks", "--json").stdout)["commits"]
        operations = [c["operation"] for c in history]
        self.assertIn("OPTIMIZE", operations)
        self.assertEqual(history[-1]["version"], 0)
        self.assertEqual([c["version"] for c in history], sorted((c["version"] for c in history), reverse=True))

        rows = self.cat(server, "clicks")
        self.assertEqual(sorted(r["user_id"] for r in rows), list(range(sent)))
        self.assertEqual(sorted(r["_offset"] for r in rows), list(range(sent)))

        # Time travel: version 1 holds the first load only; a time before the table is refused.
        first_load = [c for c in history if c["operation"] != "CREATE TABLE" and c["rows_added"] > 0][-1]
        old = self.cat(server, "clicks", "--version", str(first_load["version"]))
        self.assertEqual(len(old), 20)
        at_time = self.cat(server, "clicks", "--timestamp", first_load["timestamp"])
        self.assertEqual(sorted(r["user_id"] for r in at_time), sorted(r["user_id"] for r in old))
        r = self.cli(server, "cat", "clicks", "--timestamp", "2000-01-01T00:00:00Z", expect=1)
        self.assertIn("the earliest commit in its log is version 0", r.stderr)
        self.assertEqual(len(self.cat(server, "clicks", "--limit", "7")), 7)

        # Compacting again finds nothing to do; VACUUM deletes the compacted-away files only when
        # told to ignore the retention period, and the rows stay.
        self.assertIn("nothing to compact", self.cli(server, "compact", "clicks").stdout)
        r = self.cli(server, "vacuum", "clicks", "--retain", "0", expect=1)
        self.assertIn("allow_short_retention", r.stderr)
        dry = self.cli(server, "vacuum", "clicks", "--retain", "0", "--dry-run", "--allow-short-retention").stdout
        self.assertIn("would delete", dry)
        files_before = sorted(f for f in os.listdir(os.path.join(server.data_dir, "lake", "clicks"))
                              if f.endswith(".parquet"))
        self.assertGreater(len(files_before), 1)
        self.cli(server, "vacuum", "clicks", "--retain", "0", "--allow-short-retention")
        files_after = [f for f in os.listdir(os.path.join(server.data_dir, "lake", "clicks")) if f.endswith(".parquet")]
        self.assertEqual(len(files_after), 1, files_after)
        self.assertEqual(sorted(r["user_id"] for r in self.cat(server, "clicks")), list(range(sent)))

        # Stream tables cannot be detached; attached-only verbs name the fix.
        r = self.cli(server, "detach", "clicks", expect=1)
        self.assertIn("DELETE /v1/streams/clicks", r.stderr)

        # Dropping the stream removes its table; a new stream of the same name starts a new table.
        status, reply, _ = server.json("DELETE", "/v1/streams/clicks")
        self.assertEqual(status, 200, reply)
        self.assertFalse(os.path.exists(os.path.join(server.data_dir, "lake", "clicks")))
        server.create_stream("clicks", "word VARCHAR")
        status, reply, _ = server.post_events("clicks", '{"word": "a"}\n{"word": "b"}\n{"word": "c"}\n')
        self.assertEqual(status, 200, reply)
        self.wait_rows(server, "clicks", 3)
        self.assertEqual(sorted(r["word"] for r in self.cat(server, "clicks")), ["a", "b", "c"])

    def test_spark_tables_attach_read_only_and_read_correctly(self):
        golden = golden_dir()
        server = self.start_server(["--lake-load-interval-ms", "-1", "--attach-dirs", f"{golden},{h.tmp_root()}"])
        expected = {
            "basic-with-inserts-deletes-checkpoint": (41, 1470),
            "basic-with-inserts-updates": (100, 4950),
            "corrupted-last-checkpoint-kernel": (100, 4950),
            "multi-part-checkpoint": (31, 435),
            "time-travel-start-start20-start40": (30, 435),
        }
        for directory, (count, total) in expected.items():
            name = directory.replace("-", "_")
            self.cli(server, "attach", name, os.path.join(golden, directory))
            rows = self.cat(server, name)
            self.assertEqual(len(rows), count, directory)
            self.assertEqual(sum(r["id"] for r in rows), total, directory)
            # Row counts come from the files' stats; this old table was written without them.
            stats_rows = None if directory.startswith("time-travel") else count
            self.assertEqual(self.describe(server, name)["rows"], stats_rows, directory)
        for version, (count, total) in enumerate([(10, 45), (20, 190), (30, 435)]):
            rows = self.cat(server, "time_travel_start_start20_start40", "--version", str(version))
            self.assertEqual((len(rows), sum(r["id"] for r in rows)), (count, total), f"version {version}")

        self.cli(server, "attach", "partitioned", os.path.join(golden, "data-reader-partition-values"))
        self.assertEqual(len(self.cat(server, "partitioned")), 3)
        self.assertEqual(len(self.cat(server, "partitioned", "--limit", "2")), 2)
        self.cli(server, "attach", "primitives", os.path.join(golden, "data-reader-primitives"))
        self.assertEqual(len(self.cat(server, "primitives")), 11)

        r = self.cli(server, "attach", "invalid", os.path.join(golden, "deltalog-invalid-protocol-version"), expect=1)
        self.assertIn("reader version 99", r.stderr)
        r = self.cli(server, "attach", "missing", self.tmp_path("nowhere"), expect=1)
        r = self.cli(server, "attach", "multi_part_checkpoint", os.path.join(golden, "multi-part-checkpoint"), expect=1)
        self.assertIn("is the name of an attached table", r.stderr)
        status, reply, _ = server.json("PUT", "/v1/streams/multi_part_checkpoint", json.dumps({"schema": "a BIGINT"}))
        self.assertEqual(status, 409, reply)
        self.assertIn("attached table", reply["error"])

        listing = self.cli(server, "list").stdout
        self.assertIn("attached", listing)
        self.assertNotIn("invalid", listing)
        # Read-only: lagoa never writes a table another engine owns.
        r = self.cli(server, "compact", "multi_part_checkpoint", expect=1)
        self.assertIn("read-only", r.stderr)
        r = self.cli(server, "vacuum", "multi_part_checkpoint", expect=1)
        self.assertIn("read-only", r.stderr)

        # Attachments survive a restart; detach forgets the table and leaves its files.
        server.stop()
        server.start()
        self.assertEqual(len(self.cat(server, "multi_part_checkpoint")), 31)
        self.cli(server, "detach", "multi_part_checkpoint")
        self.cli(server, "describe", "multi_part_checkpoint", expect=1)
        self.assertTrue(os.path.isdir(os.path.join(golden, "multi-part-checkpoint", "_delta_log")))


if __name__ == "__main__":
    h.main()
