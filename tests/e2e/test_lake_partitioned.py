"""A stream whose lake table is partitioned by a derived date ("lake": {"partition_by": "date(ts)"}):
creation errors, one directory per UTC date (NULL in __HIVE_DEFAULT_PARTITION__), rows read back
through `lagoa table cat`, `lagoa table compact` keeping one file per partition, and the option kept
across a restart (the catalog file)."""

import json
import os

import lagoa_harness as h
from table_cli import TableCli

# Loads often; background maintenance (which would compact) effectively never, so the test decides.
FLAGS = ["--lake-load-interval-ms", "150", "--lake-maintenance-interval-ms", "3600000"]

# ts per user_id % 5 and the UTC date the table must file it under (None: NULL).
TIMES = [
    ("2026-11-23T08:00:00Z", "2026-11-23"),
    ("2026-11-24T23:30:00-02:00", "2026-11-25"),  # 01:30 UTC on the next day
    ("2026-11-24T00:00:00Z", "2026-11-24"),
    (None, None),
    ("2026-11-25T23:59:59.999999Z", "2026-11-25"),
]
DIRS = {"_date=2026-11-23", "_date=2026-11-24", "_date=2026-11-25", "_date=__HIVE_DEFAULT_PARTITION__"}


def events(start, count):
    return "".join(json.dumps({"user_id": i, "ts": TIMES[i % 5][0]}) + "\n" for i in range(start, start + count))


class LakePartitionedTest(TableCli, h.ServerTestCase):
    start_class_server = False

    def check_rows(self, server, sent):
        rows = self.cat(server, "visits")
        self.assertEqual(sorted(r["user_id"] for r in rows), list(range(sent)))
        for r in rows:
            self.assertEqual(r["_date"], TIMES[r["user_id"] % 5][1], r)

    def partition_dirs(self, server):
        root = os.path.join(server.data_dir, "lake", "visits")
        dirs = {d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)) and d != "_delta_log"}
        loose = [f for f in os.listdir(root) if f.endswith(".parquet")]
        self.assertEqual(loose, [], "a partitioned table keeps no data file at its root")
        return root, dirs

    def test_partitioned_stream_files_rows_by_date_and_compaction_keeps_partitions(self):
        server = self.start_server(FLAGS)
        for partition_by, message in [("date(user_id)", "it must be TIMESTAMP or TIMESTAMPTZ"),
                                      ("date(nope)", "no such column"),
                                      ("ts", 'must be a string like "date(ts)"')]:
            status, reply, _ = server.json(
                "PUT", "/v1/streams/bad",
                json.dumps({"schema": "user_id BIGINT, ts TIMESTAMP", "lake": {"partition_by": partition_by}}))
            self.assertEqual(status, 400, reply)
            self.assertIn(message, reply["error"], partition_by)

        status, reply, _ = server.json(
            "PUT", "/v1/streams/visits",
            json.dumps({"schema": "user_id BIGINT, ts TIMESTAMP", "lake": {"enabled": True, "partition_by": "date(ts)"}}))
        self.assertEqual(status, 201, reply)

        sent = 0
        for _ in range(3):  # three loads: each writes one file per date it holds
            status, reply, _ = server.post_events("visits", events(sent, 50))
            self.assertEqual(status, 200, reply)
            sent += 50
            table = self.wait_rows(server, "visits", sent)
        self.assertEqual(table["partition_columns"], ["_date"])
        self.assertEqual(table["partitions"], 4)
        self.assertGreaterEqual(table["files"], 8)
        self.assertIn({"name": "_date", "type": "DATE", "delta_type": "date", "nullable": True}, table["columns"])

        root, dirs = self.partition_dirs(server)
        self.assertEqual(dirs, DIRS)
        for d in dirs:
            self.assertTrue(any(f.endswith(".parquet") for f in os.listdir(os.path.join(root, d))), d)
        self.check_rows(server, sent)
        history = json.loads(self.cli(server, "history", "visits", "--json").stdout)["commits"]
        loads = [c for c in history if c["operation"] == "STREAMING UPDATE"]
        # Every load held all four dates and committed their four files together.
        self.assertGreaterEqual(len(loads), 3)
        self.assertEqual(table["files"], 4 * len(loads), history)

        # Compaction rewrites each partition into one file and keeps the partition values.
        self.cli(server, "compact", "visits")
        table = self.describe(server, "visits")
        self.assertEqual((table["files"], table["partitions"], table["rows"]), (4, 4, sent), table)
        self.assertEqual(self.partition_dirs(server)[1], DIRS)
        self.check_rows(server, sent)

        # The option is in the catalog file: after a restart the stream loads into the same table.
        server.stop()
        server.start()
        status, reply, _ = server.json("GET", "/v1/streams/visits")
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["definition"]["lake"], {"enabled": True, "partition_by": "date(ts)"})
        status, reply, _ = server.post_events("visits", events(sent, 10))
        self.assertEqual(status, 200, reply)
        sent += 10
        table = self.wait_rows(server, "visits", sent)
        self.assertEqual(table["partitions"], 4)
        self.check_rows(server, sent)


if __name__ == "__main__":
    h.main()
