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


if __name__ == "__main__":
    h.main()
