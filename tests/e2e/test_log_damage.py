"""A damaged log keeps what it acknowledged (issue 13, section 1). With the server stopped, the
test damages the log's files the way a bad disk or a lost write would, restarts the server on them
and checks, through the real binary: a flipped byte in the middle of the active segment truncates
nothing and stops the partition's writes with an error naming the file and offsets; SQL still
answers from the lake; `lagoa log verify` reports the damage and `lagoa log repair --apply`, on the
operator's word, rebuilds it from the lake's copy (every type read back exactly as ingested) or,
where the lake does not hold it, cuts it out; and offsets the lake already holds are never handed
out again, so a new event never hides behind an old one in SQL."""

import json
import os
import time

import delta_check as dc
import lagoa_harness as h

SCHEMA = "id BIGINT, note VARCHAR"
LOAD_FLAGS = ["--lake-load-interval-ms", "100"]
BATCHES = 30
PER_BATCH = 100


def events(start, count):
    return "".join(json.dumps({"id": i, "note": f"event {i:06d} " + "x" * 40}) + "\n"
                   for i in range(start, start + count))


TYPED_SCHEMA = ("id BIGINT NOT NULL, ts TIMESTAMPTZ, t TIMESTAMP, d DATE, amount DECIMAL(20,4), doc JSON, "
                "tags VARCHAR[], nested STRUCT(a INTEGER, at TIMESTAMPTZ, xs DOUBLE[]), ok BOOLEAN, x DOUBLE, "
                "n INTEGER")


def typed_events(start, count):
    """Events of TYPED_SCHEMA that vary every type, with NULLs at every level."""
    docs = [{"k": [1, {"z": None}], "s": "é\"q"}, [1, 2.5, "x"], 42, "text", True, None]
    out = []
    for i in range(start, start + count):
        event = {
            "id": i,
            "ts": f"2024-05-{1 + i % 28:02d}T{i % 24:02d}:00:00.{i % 1000000:06d}+02:00",
            "t": ["0099-03-04T05:06:07.000001Z", f"2023-12-31T23:59:59.{i % 1000:03d}Z", None][i % 3],
            "d": ["0999-12-31", "2024-02-29", None][i % 3],
            "amount": [f"{i}.{i % 10000:04d}", f"-{i % 97}.5", "1234567890123456.0001", None][i % 4],
            "doc": docs[i % len(docs)],
            "tags": [[f"t{i}", None, ""], [], None][i % 3],
            "nested": [{"a": i % 1000, "at": "2024-01-01T00:00:00Z", "xs": [0.1, None, -1e300]},
                       {"a": None, "at": None, "xs": None}, None][i % 3],
            "ok": [True, False, None][i % 3],
            "x": [i / 7, 3, None][i % 3],
            "n": [i % 1000, -2147483648, None][i % 3],
        }
        out.append(json.dumps(event) + "\n")
    return "".join(out)


def sql_rows(server, text):
    status, parsed, _ = server.json("POST", "/v1/sql", text, {"Content-Type": "text/plain"})
    assert status == 200, parsed
    return parsed["rows"]


def lake_rows(table_dir):
    """Rows in the Delta table's active files, from its commits' stats."""
    return sum(json.loads(add["stats"])["numRecords"] for add in dc.DeltaLog(table_dir).active.values())


def segment_batches(path):
    """(position, batch bytes, base offset, record count) of every batch in a segment file, by the
    layout src/log/README.md documents."""
    with open(path, "rb") as f:
        data = f.read()
    out, pos = [], 0
    while pos + 56 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "little")
        count = int.from_bytes(data[pos + 12:pos + 16], "little")
        base = int.from_bytes(data[pos + 16:pos + 24], "little", signed=True)
        out.append((pos, size, base, count))
        pos += size
    return out


def flip_byte(path, pos):
    with open(path, "r+b") as f:
        f.seek(pos)
        b = f.read(1)
        f.seek(pos)
        f.write(bytes([b[0] ^ 0x40]))


class LogDamageTest(h.ServerTestCase):
    start_class_server = False

    def fill(self, data_dir, extra=(), schema=SCHEMA, make_events=events, event_time=None):
        """A stream of BATCHES acknowledged batches, all loaded into the lake; stops the server."""
        server = self.start_server(LOAD_FLAGS + list(extra), data_dir=data_dir)
        server.create_stream("audit", schema, event_time=event_time)
        for b in range(BATCHES):
            status, reply, _ = server.post_events("audit", make_events(b * PER_BATCH, PER_BATCH))
            self.assertEqual(status, 200, reply)
            self.assertEqual(reply["first_offset"], b * PER_BATCH, reply)
        total = BATCHES * PER_BATCH
        deadline = time.monotonic() + 60
        while lake_rows(os.path.join(data_dir, "lake", "audit")) < total:
            if time.monotonic() > deadline:
                self.fail(f"the lake did not load {total} events\n{server.stderr_tail()}")
            time.sleep(0.1)
        self.read_before = server.read_events("audit")
        self.assertEqual(server.stop()[0], 0)
        return os.path.join(data_dir, "log", "audit", "0", "0" * 20 + ".log")

    def repair(self, data_dir, segment, flags, says, records):
        """`lagoa log repair --apply FLAGS…`: it must succeed saying `says`, record `records` in the
        partition's repairs file, and leave a log that verifies."""
        code, out = self.cli("log", "repair", "--data-dir", data_dir, "--apply", *flags)
        self.assertEqual(code, 0, out)
        self.assertIn(says, out)
        with open(os.path.join(os.path.dirname(segment), "repairs")) as f:
            self.assertIn(records, f.read())
        code, out = self.cli("log", "verify", "--data-dir", data_dir)
        self.assertEqual(code, 0, out)

    def cli(self, *args):
        done = h.run_cli(list(args))
        return done.returncode, done.stdout.decode() + done.stderr.decode()

    def test_a_flipped_byte_in_the_active_segment_stops_writes_and_loses_nothing(self):
        data_dir = self.tmp_path("data")
        segment = self.fill(data_dir)
        batches = segment_batches(segment)
        self.assertEqual(len(batches), BATCHES)
        pos, size, base, count = batches[BATCHES // 2]
        flip_byte(segment, pos + size // 2)
        size_before = os.path.getsize(segment)

        server = self.start_server(LOAD_FLAGS, data_dir=data_dir)
        self.assertEqual(os.path.getsize(segment), size_before, "recovery truncated acknowledged batches")
        status, reply, _ = server.post_events("audit", events(10_000, 1))
        self.assertEqual(status, 503, reply)
        message = json.dumps(reply)
        for part in (os.path.basename(segment), f"offsets {base} to {base + count - 1}", "lagoa log repair"):
            self.assertIn(part, message)
        # Every acknowledged event is still there: the lake holds the damaged range.
        self.assertEqual(sql_rows(server, "SELECT count(*), count(DISTINCT id) FROM audit"),
                         [[BATCHES * PER_BATCH, BATCHES * PER_BATCH]])
        code, out = self.cli("log", "verify", "--data-dir", data_dir)
        self.assertEqual(code, 1, out)
        self.assertIn(f"offsets {base} to {base + count - 1}", out)
        code, out = self.cli("log", "repair", "--data-dir", data_dir, "--apply")
        self.assertEqual(code, 2, "repair must refuse while the server holds the directory: " + out)
        self.assertIn("stop the server", out)
        self.assertEqual(server.stop()[0], 0)

        code, out = self.cli("log", "repair", "--data-dir", data_dir)
        self.assertEqual(code, 0, out)
        self.assertIn("--apply", out)
        self.assertEqual(os.path.getsize(segment), size_before, "repair without --apply changed the log")
        self.repair(data_dir, segment, [],
                    f"{count} events of offsets {base} to {base + count - 1} rebuilt from the lake",
                    f"rebuilt {count} records: offsets {base} to {base + count - 1}")

        server = self.start_server(LOAD_FLAGS, data_dir=data_dir)
        status, reply, _ = server.post_events("audit", events(10_000, 5))
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["first_offset"], BATCHES * PER_BATCH, "offsets must continue after the repair")
        self.assertEqual(sql_rows(server, "SELECT count(*), max(id) FROM audit"),
                         [[BATCHES * PER_BATCH + 5, 10_004]])
        read = server.read_events("audit")
        self.assertEqual(read[:BATCHES * PER_BATCH], self.read_before,
                         "the log must serve the rebuilt range exactly as it served it before the damage")
        self.assertEqual([e["id"] for e in read[BATCHES * PER_BATCH:]], list(range(10_000, 10_005)))

    def test_repair_without_the_lake_cuts_the_damage_out_as_a_gap(self):
        data_dir = self.tmp_path("data")
        segment = self.fill(data_dir)
        pos, size, base, count = segment_batches(segment)[BATCHES // 2]
        flip_byte(segment, pos + size // 2)
        self.repair(data_dir, segment, ["--without-lake"], f"offsets {base} to {base + count - 1} are a gap",
                    f"gap: offsets {base} to {base + count - 1}")

        server = self.start_server(LOAD_FLAGS, data_dir=data_dir)
        read = server.read_events("audit")
        self.assertEqual(read, self.read_before[:base] + self.read_before[base + count:],
                         "the log serves everything but the cut range")
        self.assertEqual(sql_rows(server, "SELECT count(*) FROM audit"), [[BATCHES * PER_BATCH]])

    def test_a_lake_table_older_than_the_stream_is_not_rebuilt_from(self):
        # A table whose stream was dropped without it (its removal failed) belongs to an earlier
        # stream of the same name: its rows at these offsets are other events.
        data_dir = self.tmp_path("data")
        segment = self.fill(data_dir)
        pos, size, base, count = segment_batches(segment)[BATCHES // 2]
        flip_byte(segment, pos + size // 2)
        definition_path = os.path.join(data_dir, "catalog", "audit.json")
        with open(definition_path) as f:
            definition = json.load(f)
        definition["created"] = "2099-01-01T00:00:00.000000Z"  # the stream now looks newer than its table
        with open(definition_path, "w") as f:
            json.dump(definition, f)
        size_before = os.path.getsize(segment)
        code, out = self.cli("log", "repair", "--data-dir", data_dir, "--apply")
        self.assertEqual(code, 1, out)
        self.assertIn("was created before the stream", out)
        self.assertIn("--without-lake", out)
        self.assertEqual(os.path.getsize(segment), size_before, "a refused repair changed the log")

    def test_repair_rebuilds_every_type_exactly_as_ingested(self):
        # Damage in a sealed segment and in the active one; the lake's copy goes back through the
        # ingest encoder, so each value must come back byte for byte: timestamps to the
        # microsecond (years below 1000 too), decimals by their digits, JSON as JSON, nested lists
        # and structs, NULLs at every level, event and ingest times.
        data_dir = self.tmp_path("data")
        small_segments = ["--segment-bytes-max", "64KiB"]
        self.fill(data_dir, small_segments, schema=TYPED_SCHEMA, make_events=typed_events, event_time="ts")
        partition_dir = os.path.join(data_dir, "log", "audit", "0")
        segments = sorted(os.path.join(partition_dir, n) for n in os.listdir(partition_dir) if n.endswith(".log"))
        self.assertGreater(len(segments), 2, segments)
        damaged = []
        for segment in (segments[0], segments[-1]):
            batches = segment_batches(segment)
            pos, size, base, count = batches[len(batches) // 2]
            flip_byte(segment, pos + size // 2)
            damaged.append((base, count))
        code, out = self.cli("log", "verify", "--data-dir", data_dir)
        self.assertEqual(code, 1, out)
        # A relative --data-dir, as the quickstart's ./lagoa-data is.
        code, out = self.cli("log", "repair", "--data-dir", os.path.relpath(data_dir), "--apply")
        self.assertEqual(code, 0, out)
        for base, count in damaged:
            self.assertIn(f"{count} events of offsets {base} to {base + count - 1} rebuilt from the lake", out)
        code, out = self.cli("log", "verify", "--data-dir", data_dir)
        self.assertEqual(code, 0, out)

        server = self.start_server(LOAD_FLAGS + small_segments, data_dir=data_dir)
        read = server.read_events("audit")
        self.assertEqual(len(read), len(self.read_before))
        for before, after in zip(self.read_before, read):
            self.assertEqual(after, before)

    def test_a_damaged_sealed_segment_fails_only_the_reads_that_reach_it(self):
        # The probe in issue 13: one flipped byte in a sealed segment made every SQL query on the
        # stream fail. Reads that need other offsets, and SQL over what the lake holds, must work.
        data_dir = self.tmp_path("data")
        small_segments = ["--segment-bytes-max", "16KiB"]
        self.fill(data_dir, small_segments)
        partition_dir = os.path.join(data_dir, "log", "audit", "0")
        segments = sorted(n for n in os.listdir(partition_dir) if n.endswith(".log"))
        self.assertGreater(len(segments), 3, segments)
        first = os.path.join(partition_dir, segments[0])
        pos, size, base, count = segment_batches(first)[0]
        flip_byte(first, pos + size - 10)

        server = self.start_server(LOAD_FLAGS + small_segments, data_dir=data_dir)
        self.assertEqual(sql_rows(server, "SELECT count(*) FROM audit"), [[BATCHES * PER_BATCH]])
        after = base + count  # the next batch, in the same segment: a reader passes over the damaged one
        status, _, page = server.request("GET", f"/v1/streams/audit/events?partition=0&from={after}&limit=5")
        self.assertEqual(status, 200, page)
        self.assertEqual([json.loads(line)["_offset"] for line in page.splitlines()], list(range(after, after + 5)))
        status, _, page = server.request("GET", f"/v1/streams/audit/events?partition=0&from={base}&limit=5")
        self.assertNotEqual(status, 200, page)
        self.assertIn(segments[0], page.decode())
        status, reply, _ = server.post_events("audit", events(20_000, 3))
        self.assertEqual(status, 200, reply)
        code, out = self.cli("log", "verify", "--data-dir", data_dir)
        self.assertEqual(code, 1, out)
        self.assertIn(f"offsets {base} to {base + count - 1}", out)

    def test_offsets_the_lake_holds_are_never_handed_out_again(self):
        # The log lost its last ten batches after the lake loaded them (what a machine crash does to
        # a log with durability none, or a repair's cut): new events must not reuse those offsets,
        # or SQL, which reads them from the lake, would never show the new events.
        data_dir = self.tmp_path("data")
        segment = self.fill(data_dir)
        batches = segment_batches(segment)
        os.truncate(segment, batches[BATCHES - 10][0])

        server = self.start_server(LOAD_FLAGS, data_dir=data_dir)
        status, reply, _ = server.post_events("audit", events(50_000, 7))
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["first_offset"], BATCHES * PER_BATCH, reply)
        self.assertEqual(sql_rows(server, "SELECT count(*) FROM audit WHERE id >= 50000"), [[7]])
        self.assertEqual(sql_rows(server, "SELECT count(*) FROM audit"), [[BATCHES * PER_BATCH + 7]])
        self.assertIn("the log lost offsets", server.stderr_text())


if __name__ == "__main__":
    h.main()
