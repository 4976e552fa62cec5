"""Lake loading: streams flow into Delta tables under <data>/lake/<stream>/, exactly once, also
across a SIGKILL. The test reads the Delta log itself (JSON commits; stats give each file's row
count and its _offset and _partition range), so it checks the table as any Delta reader sees it."""

import json
import os
import time

import lagoa_harness as h

SCHEMA = "user_id BIGINT, url VARCHAR, ts TIMESTAMPTZ"
LOAD_FLAGS = ["--lake-load-interval-ms", "200"]


def active_files(table_dir):
    """The table's active add actions after replaying every JSON commit in order."""
    log_dir = os.path.join(table_dir, "_delta_log")
    if not os.path.isdir(log_dir):
        return {}
    active = {}
    for name in sorted(n for n in os.listdir(log_dir) if n.endswith(".json")):
        with open(os.path.join(log_dir, name)) as f:
            for line in f:
                action = json.loads(line)
                if "add" in action:
                    active[action["add"]["path"]] = action["add"]
                elif "remove" in action:
                    active.pop(action["remove"]["path"], None)
    return active


def loaded_ranges(table_dir):
    """(partition, first offset, last offset, rows) of every active file."""
    ranges = []
    for path, add in active_files(table_dir).items():
        stats = json.loads(add["stats"])
        assert os.path.exists(os.path.join(table_dir, path)), f"the log names {path}, which does not exist"
        lo, hi = stats["minValues"]["_partition"], stats["maxValues"]["_partition"]
        assert lo == hi, f"{path} mixes partitions {lo} and {hi}"
        ranges.append((lo, stats["minValues"]["_offset"], stats["maxValues"]["_offset"], stats["numRecords"]))
    return sorted(ranges)


def events(start, count):
    return "".join(json.dumps({"user_id": i, "url": f"/p{i}", "ts": "2026-11-25T10:00:00Z"}) + "\n"
                   for i in range(start, start + count))


class LakeLoadingTest(h.ServerTestCase):
    start_class_server = False

    def wait_loaded(self, table_dir, next_offsets, server):
        """Until every partition's events below next_offsets[p] are in the table, exactly once."""
        want = sum(next_offsets.values())
        deadline = time.monotonic() + 90
        ranges = []
        while time.monotonic() < deadline:
            ranges = loaded_ranges(table_dir)
            if sum(r[3] for r in ranges) >= want:
                break
            time.sleep(0.1)
        for partition, end in next_offsets.items():
            mine = [r for r in ranges if r[0] == partition]
            covered = 0
            for _, first, last, rows in mine:
                self.assertEqual(first, covered, f"partition {partition}: files {mine} leave a gap or overlap")
                self.assertEqual(rows, last - first + 1, f"partition {partition}: a file's rows do not match its range")
                covered = last + 1
            self.assertEqual(covered, end, f"partition {partition}: loaded up to {covered}, want {end}\n"
                                           f"{server.stderr_tail()}")

    def test_events_reach_the_lake_exactly_once_across_a_kill(self):
        data_dir = self.tmp_path("data")
        table_dir = os.path.join(data_dir, "lake", "clicks")
        server = self.start_server(LOAD_FLAGS, data_dir=data_dir)
        server.create_stream("clicks", SCHEMA, partitions=2)
        next_offsets = {0: 0, 1: 0}
        sent = 0
        for _ in range(6):
            status, reply, _ = server.post_events("clicks", events(sent, 500))
            self.assertEqual(status, 200, reply)
            next_offsets[reply["partition"]] = reply["last_offset"] + 1
            sent += 500
        self.wait_loaded(table_dir, next_offsets, server)

        # A kill while loading: the table must still hold every event once after the restart.
        for _ in range(4):
            status, reply, _ = server.post_events("clicks", events(sent, 500))
            self.assertEqual(status, 200, reply)
            next_offsets[reply["partition"]] = reply["last_offset"] + 1
            sent += 500
        time.sleep(0.25)
        server.kill()
        server = self.start_server(LOAD_FLAGS, data_dir=data_dir)
        self.wait_loaded(table_dir, next_offsets, server)

    def test_a_loader_kept_between_passes_follows_new_columns_and_a_re_created_stream(self):
        # A partition's loader lives from one pass to the next while each pass loads a file. It
        # must give way to a new one when the stream gains a column or is dropped and re-created.
        data_dir = self.tmp_path("data")
        table_dir = os.path.join(data_dir, "lake", "evo")
        server = self.start_server(LOAD_FLAGS, data_dir=data_dir)
        server.create_stream("evo", infer=True, partitions=1)
        for i, line in enumerate(['{"a": 1}', '{"a": 2}', '{"a": 3, "b": "x"}', '{"a": 4, "b": "y"}']):
            status, reply, _ = server.post_events("evo", line + "\n")
            self.assertEqual(status, 200, reply)
            self.wait_loaded(table_dir, {0: i + 1}, server)  # one pass per event: the loader is kept
        columns = [f["name"] for f in json.loads(self.latest_metadata(table_dir)["schemaString"])["fields"]]
        self.assertIn("b", columns, "the table gained the stream's new column")
        with_b = [add for add in active_files(table_dir).values() if "b" in json.loads(add["stats"])["maxValues"]]
        self.assertEqual(sum(json.loads(add["stats"])["numRecords"] for add in with_b), 2,
                         "the rows with `b` were loaded with it")

        status, body, _ = server.json("DELETE", "/v1/streams/evo")
        self.assertIn(status, (200, 204), body)
        server.create_stream("evo", infer=True, partitions=1)
        status, reply, _ = server.post_events("evo", '{"c": 10}\n')
        self.assertEqual(status, 200, reply)
        self.wait_loaded(table_dir, {0: 1}, server)
        columns = [f["name"] for f in json.loads(self.latest_metadata(table_dir)["schemaString"])["fields"]]
        self.assertEqual([c for c in columns if not c.startswith("_")], ["c"],
                         "the re-created stream's table has its own columns")
        errors = [line for line in server.stderr_text().splitlines() if " error " in line]
        self.assertEqual(errors, [], "no load failed on the way")

    def latest_metadata(self, table_dir):
        log_dir = os.path.join(table_dir, "_delta_log")
        metadata = None
        for name in sorted(n for n in os.listdir(log_dir) if n.endswith(".json")):
            with open(os.path.join(log_dir, name)) as f:
                for line in f:
                    action = json.loads(line)
                    if "metaData" in action:
                        metadata = action["metaData"]
        return metadata


if __name__ == "__main__":
    h.main()
