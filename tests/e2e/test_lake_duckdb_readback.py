"""DuckDB read-back: events of every common type (BIGINT, INTEGER, DOUBLE, BOOLEAN, VARCHAR with
unicode, TIMESTAMPTZ, TIMESTAMP, DATE, DECIMAL of three widths, LISTs, a STRUCT, JSON) are ingested
in batches, the server loads them into its lake table, and then

  - the JSON log is replayed in Python and validated as Delta: protocol (1, 2) and metaData in the
    first commit (id, format parquet, a Spark schema with the expected types, partitionColumns),
    every add's fields, size and stats against the file, commitInfo in every commit, a checkpoint
    at every tenth version holding the files active there, and `_last_checkpoint`;
  - the files the log lists are read with `read_parquet([...])` through DuckDB (lagoa_duckdb_query,
    none of lagoa's code) and every value of every row is compared with what was ingested, and the
    metadata columns with what the HTTP API reads back from the server's log;
  - an inferred stream that gains columns gets metaData commits that only append nullable
    columns, and its older files read back with NULL in them.

Environment: LAGOA_DUCKDB_QUERY (see delta_check.py); LAGOA_E2E_SCALE scales the event count
(3000 at 1.0); LAGOA_E2E_SEED seeds the values."""

import datetime
import decimal
import json
import os
import random
import time

import delta_check as dc
import lagoa_harness as h

STREAM = "typed"
SCHEMA = ("k BIGINT NOT NULL, i INTEGER, d DOUBLE, b BOOLEAN, s VARCHAR, ts TIMESTAMPTZ, tsn TIMESTAMP, "
          "day DATE, amount DECIMAL(18,4), big DECIMAL(38,10), small DECIMAL(4,2), tags VARCHAR[], "
          "nums BIGINT[], geo STRUCT(lat DOUBLE, lon DOUBLE, name VARCHAR, pts INTEGER[]), j JSON")
BATCHES = 12  # one lake commit each at least: more than 10 versions, so a checkpoint is due
LOAD_FLAGS = ["--lake-load-interval-ms", "100"]
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

# Spark types the metaData's schemaString must give each column (PROTOCOL.md "Schema Serialization").
SPARK_TYPES = {
    "k": "long", "i": "integer", "d": "double", "b": "boolean", "s": "string", "ts": "timestamp",
    "tsn": "timestamp", "day": "date", "amount": "decimal(18,4)", "big": "decimal(38,10)",
    "small": "decimal(4,2)",
    "tags": {"type": "array", "elementType": "string", "containsNull": True},
    "nums": {"type": "array", "elementType": "long", "containsNull": True},
    "geo": {"type": "struct", "fields": [
        {"name": "lat", "type": "double", "nullable": True, "metadata": {}},
        {"name": "lon", "type": "double", "nullable": True, "metadata": {}},
        {"name": "name", "type": "string", "nullable": True, "metadata": {}},
        {"name": "pts", "type": {"type": "array", "elementType": "integer", "containsNull": True},
         "nullable": True, "metadata": {}}]},
    "j": "string", "_offset": "long", "_partition": "integer", "_ingested_at": "timestamp",
    "_event_time": "timestamp",
}
# DuckDB's typeof() of each column read from the Parquet files.
DUCKDB_TYPES = {
    "k": "BIGINT", "i": "INTEGER", "d": "DOUBLE", "b": "BOOLEAN", "s": "VARCHAR",
    "ts": "TIMESTAMP WITH TIME ZONE",
    # The Delta schema says `timestamp` (an instant) for TIMESTAMP stream columns too, so their
    # Parquet column is annotated isAdjustedToUTC=true like TIMESTAMPTZ (values: UTC µs, below).
    "tsn": "TIMESTAMP WITH TIME ZONE",
    "day": "DATE", "amount": "DECIMAL(18,4)",
    "big": "DECIMAL(38,10)", "small": "DECIMAL(4,2)", "tags": "VARCHAR[]", "nums": "BIGINT[]",
    "geo": "STRUCT(lat DOUBLE, lon DOUBLE, \"name\" VARCHAR, pts INTEGER[])", "j": "VARCHAR",
    "_offset": "BIGINT", "_partition": "INTEGER", "_ingested_at": "TIMESTAMP WITH TIME ZONE",
    "_event_time": "TIMESTAMP WITH TIME ZONE",
}

TEXTS = ["", "plain", "héllo wörld", "日本語のテキスト", "emoji 🎉🚀 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "quote \" backslash \\ slash /",
         "new\nline\ttab\rreturn", "control \u0001\u001f", "comma, and 'single' quotes", "e\u0301 combining",
         "right-to-left שלום مرحبا", "null", "\u2028line separator", "x" * 300]
INT64 = (-(1 << 63), (1 << 63) - 1)
INT32 = (-(1 << 31), (1 << 31) - 1)


def rfc3339(us, offset_min):
    """µs since the epoch as RFC 3339 text at a UTC offset (the stored instant is the same)."""
    tz = datetime.timezone(datetime.timedelta(minutes=offset_min))
    value = (EPOCH + datetime.timedelta(microseconds=us)).astimezone(tz)
    return value.isoformat(timespec="microseconds")


class Generator:
    """Random values of each column (seeded), with edges and NULLs, as JSON to send and as the
    values expected back."""

    def __init__(self, seed):
        self.rng = random.Random(seed)

    def maybe(self, value_fn, null_chance=0.1):
        return None if self.rng.random() < null_chance else value_fn()

    def integer(self, lo_hi):
        r = self.rng.random()
        if r < 0.1:
            return self.rng.choice(lo_hi + (0, -1, 1))
        if r < 0.5:
            return self.rng.randint(-1000, 1000)
        return self.rng.randint(*lo_hi)

    def double(self):
        return self.rng.choice([
            lambda: self.rng.uniform(-1e6, 1e6), lambda: self.rng.uniform(-1, 1) * 10 ** self.rng.randint(-300, 300),
            lambda: float(self.rng.randint(-10, 10)), lambda: 0.1, lambda: 5e-324, lambda: 1.7976931348623157e308])()

    def text(self):
        if self.rng.random() < 0.5:
            return self.rng.choice(TEXTS)
        return "".join(chr(self.rng.choice([self.rng.randint(0x20, 0x7e), self.rng.randint(0xa0, 0xd7ff),
                                            self.rng.randint(0xe000, 0xfffd), self.rng.randint(0x10000, 0x10ffff)]))
                       for _ in range(self.rng.randint(1, 20)))

    def timestamp_us(self):
        lo = int((datetime.datetime(1, 1, 1, tzinfo=datetime.timezone.utc) - EPOCH).total_seconds()) * 10**6
        hi = int((datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc) - EPOCH).total_seconds()) * 10**6
        if self.rng.random() < 0.1:
            return self.rng.choice([lo + 24 * 3600 * 10**6, hi - 24 * 3600 * 10**6, 0, -1])
        if self.rng.random() < 0.5:
            return self.rng.randint(1_700_000_000 * 10**6, 1_900_000_000 * 10**6)
        return self.rng.randint(lo + 24 * 3600 * 10**6, hi - 24 * 3600 * 10**6)

    def date(self):
        lo, hi = datetime.date(1, 1, 1).toordinal(), datetime.date(9999, 12, 31).toordinal()
        if self.rng.random() < 0.1:
            return datetime.date.fromordinal(self.rng.choice([lo, hi, datetime.date(1970, 1, 1).toordinal()]))
        return datetime.date.fromordinal(self.rng.randint(lo, hi))

    def decimal(self, precision, scale):
        digits = self.rng.choice([1, self.rng.randint(1, precision), precision])
        unscaled = self.rng.randint(0, 10**digits - 1) * self.rng.choice([1, -1])
        return decimal.Decimal(unscaled).scaleb(-scale)

    def json_value(self, depth=0):
        kinds = ["int", "float", "str", "bool", "null"] + (["list", "obj"] if depth < 3 else [])
        kind = self.rng.choice(kinds)
        if kind == "int":
            return self.integer(INT64)
        if kind == "float":
            return self.rng.uniform(-1e3, 1e3)
        if kind == "str":
            return self.text()
        if kind == "bool":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        if kind == "list":
            return [self.json_value(depth + 1) for _ in range(self.rng.randint(0, 3))]
        return {f"f{n}_{self.text()[:5]}": self.json_value(depth + 1) for n in range(self.rng.randint(0, 3))}

    def event(self, k):
        """(the JSON object to send, the expected row); absent keys and nulls are both NULL."""
        ts_us = self.maybe(self.timestamp_us)
        tsn_us = self.maybe(self.timestamp_us)
        day = self.maybe(self.date)
        geo = self.maybe(lambda: {"lat": self.maybe(lambda: self.rng.uniform(-90, 90)),
                                  "lon": self.maybe(lambda: self.rng.uniform(-180, 180)),
                                  "name": self.maybe(self.text),
                                  "pts": self.maybe(lambda: [self.maybe(lambda: self.integer(INT32))
                                                             for _ in range(self.rng.randint(0, 4))])})
        j = self.maybe(lambda: self.json_value())
        want = {
            "k": k, "i": self.maybe(lambda: self.integer(INT32)), "d": self.maybe(self.double),
            "b": self.maybe(lambda: self.rng.random() < 0.5), "s": self.maybe(self.text),
            "ts_us": ts_us, "tsn_us": tsn_us,
            "day_n": None if day is None else day.toordinal() - datetime.date(1970, 1, 1).toordinal(),
            "amount": self.maybe(lambda: self.decimal(18, 4)), "big": self.maybe(lambda: self.decimal(38, 10)),
            "small": self.maybe(lambda: self.decimal(4, 2)),
            "tags": self.maybe(lambda: [self.maybe(self.text) for _ in range(self.rng.randint(0, 4))]),
            "nums": self.maybe(lambda: [self.maybe(lambda: self.integer(INT64)) for _ in range(self.rng.randint(0, 5))]),
            "geo": geo, "j": j,
        }
        send = {"k": k}
        for name in ("i", "d", "b", "s", "tags", "nums", "geo", "j"):
            send[name] = want[name]
        send["ts"] = None if ts_us is None else rfc3339(ts_us, self.rng.choice([0, 120, -330, 840]))
        send["tsn"] = None if tsn_us is None else rfc3339(tsn_us, 0).replace("+00:00", self.rng.choice(["Z", "+00:00"]))
        send["day"] = None if day is None else day.isoformat()
        for name in ("amount", "big", "small"):
            value = want[name]
            # As a JSON string (exact for any precision) or a JSON number written from the digits.
            send[name] = None if value is None else (format(value, "f") if self.rng.random() < 0.5
                                                      else RawNumber(format(value, "f")))
        for name in list(send):
            if send[name] is None and name != "k" and self.rng.random() < 0.5:
                del send[name]  # absent instead of null
        return send, want


class RawNumber(str):
    """A decimal written as a bare JSON number with exactly these digits."""


def dumps(value):
    if isinstance(value, RawNumber):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(k) + ":" + dumps(v) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def same_double(got, want):
    return got is None and want is None or (got is not None and want is not None and float(got) == want)


class DuckDbReadbackTest(h.ServerTestCase):
    start_class_server = False

    def test_every_type_reads_back_through_duckdb_from_a_valid_delta_table(self):
        dc.tool("LAGOA_DUCKDB_QUERY")
        data_dir = self.tmp_path("data")
        table_dir = f"{data_dir}/lake/{STREAM}"
        server = self.start_server(LOAD_FLAGS, data_dir=data_dir)
        server.create_stream(STREAM, SCHEMA, event_time="ts")
        gen = Generator(h.SEED)
        total = h.scaled(3000, 300)
        expected = {}
        k = 0
        for batch in range(BATCHES):
            lines = []
            for _ in range(total // BATCHES):
                send, want = gen.event(k)
                expected[k] = want
                lines.append(dumps(send))
                k += 1
            status, reply, _ = server.post_events(STREAM, "\n".join(lines) + "\n")
            self.assertEqual(status, 200, reply)
            self.assertEqual(reply["rejected"], 0, reply.get("errors", [])[:3])
            self.wait_loaded(table_dir, reply["last_offset"], server)

        log = dc.DeltaLog(table_dir)
        self.assertEqual(log.problems(), [])
        self.check_first_commit(log)
        self.assertEqual(dc.add_problems(log), [])
        self.check_stats(log)
        self.check_stats_against_data(log)
        self.check_checkpoints(log)

        paths = sorted(log.active)
        files = dc.parquet_list_sql(table_dir, paths)
        types = dc.duckdb_rows("SELECT " + ", ".join(f"typeof({c}) AS {c}" for c in DUCKDB_TYPES) +
                               f" FROM read_parquet({files}) LIMIT 1")[0]
        self.assertEqual(types, DUCKDB_TYPES, "column types DuckDB reads from the Parquet files")
        rows = dc.duckdb_rows(
            "SELECT k, i, d, b, s, epoch_us(ts) AS ts_us, epoch_us(tsn) AS tsn_us, day - DATE '1970-01-01' AS day_n, "
            "amount, big, small, tags, nums, geo, j, _offset, _partition, epoch_us(_ingested_at) AS ingested_us, "
            f"epoch_us(_event_time) AS event_us FROM read_parquet({files}) ORDER BY k")
        self.assertEqual([r["k"] for r in rows], sorted(expected), "keys read through DuckDB")
        events = {e["k"]: e for e in server.read_events(STREAM)}
        mismatches = []
        for row in rows:
            mismatches += self.compare_row(row, expected[row["k"]], events[row["k"]])
        self.assertEqual(mismatches, [], "\n".join(mismatches[:20]))
        print(f"\n[readback] {len(rows)} rows in {len(paths)} files over {log.latest() + 1} versions, "
              f"checkpoints {log.checkpoints}", flush=True)

    def wait_loaded(self, table_dir, last_offset, server):
        deadline = time.monotonic() + 60
        while dc.DeltaLog(table_dir).txns.get(f"lagoa:{STREAM}:0", -1) < last_offset:
            if time.monotonic() > deadline:
                self.fail(f"offset {last_offset} not in the lake after 60 s\n{server.stderr_tail()}")
            time.sleep(0.05)

    def check_first_commit(self, log):
        first = log.commits[0]
        protocols = [a["protocol"] for a in first if "protocol" in a]
        self.assertEqual(protocols, [{"minReaderVersion": 1, "minWriterVersion": 2}])
        metadata = [a["metaData"] for a in first if "metaData" in a]
        self.assertEqual(len(metadata), 1, first)
        meta = metadata[0]
        self.assertRegex(meta.get("id", ""), r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        self.assertEqual(meta.get("format", {}).get("provider"), "parquet")
        self.assertEqual(meta.get("partitionColumns"), [])
        self.assertIsInstance(meta.get("configuration", {}), dict)
        schema = json.loads(meta["schemaString"])
        self.assertEqual(schema.get("type"), "struct")
        got = {f["name"]: f["type"] for f in schema["fields"]}
        self.assertEqual(list(got), list(SPARK_TYPES), "columns in order")
        self.assertEqual(got, SPARK_TYPES)
        nullable = {f["name"]: f["nullable"] for f in schema["fields"]}
        self.assertIs(nullable["k"], False, "k is NOT NULL")
        self.assertTrue(all(nullable[c] for c in ("i", "d", "s", "geo", "j")), nullable)
        self.assertTrue(all(isinstance(f.get("metadata"), dict) for f in schema["fields"]), schema)
        self.assertEqual(log.metadata, meta, "the table's metadata never changed")

    def check_stats(self, log):
        """Stats name real columns, and the min/max of k and _offset match the rows' keys."""
        for path, add in log.active.items():
            stats = json.loads(add["stats"])
            lo, hi = stats["minValues"], stats["maxValues"]
            rows = stats["numRecords"]
            self.assertEqual(hi["_offset"] - lo["_offset"] + 1, rows, f"{path}: offsets {lo['_offset']}..{hi['_offset']}")
            self.assertEqual(hi["k"] - lo["k"] + 1, rows, f"{path}: keys")  # k == offset here
            self.assertEqual(stats["nullCount"]["k"], 0)
            self.assertIs(add["dataChange"], True, f"{path}: the loader's adds change data")
            self.assertTrue(set(stats["nullCount"]) <= set(SPARK_TYPES), stats["nullCount"])

    def check_stats_against_data(self, log):
        """Each file's minValues, maxValues and nullCount equal what DuckDB computes from its rows
        (a wrong min/max makes engines that skip files by stats return wrong results)."""
        columns = {"k": "k", "i": "i", "d": "d", "s": "s", "day": "day::VARCHAR", "amount": "amount",
                   "big": "big", "small": "small", "_offset": "_offset",
                   "ts": "strftime(ts, '%Y-%m-%dT%H:%M:%S.%fZ')", "tsn": "strftime(tsn, '%Y-%m-%dT%H:%M:%S.%fZ')"}
        select = ", ".join(f"min({expr}) AS \"min_{c}\", max({expr}) AS \"max_{c}\", "
                           f"(count(*) - count({c}))::BIGINT AS \"nulls_{c}\"" for c, expr in columns.items())
        paths = sorted(log.active)
        base = log.table_dir.rstrip("/") + "/"
        rows = dc.duckdb_rows(f"SELECT filename, {select} FROM read_parquet("
                              f"{dc.parquet_list_sql(log.table_dir, paths)}, filename = true) GROUP BY filename")
        self.assertEqual(len(rows), len(paths))
        for row in rows:
            path = row["filename"][len(os.path.abspath(base)) + 1:]
            stats = json.loads(log.active[path]["stats"], parse_float=decimal.Decimal)
            for c in columns:
                for kind, key in (("min", "minValues"), ("max", "maxValues")):
                    got, want = stats[key].get(c), row[f"{kind}_{c}"]
                    if c in ("ts", "tsn") and want is not None:
                        want = want.replace(".Z", "Z")
                    if c == "day" and want is not None:
                        got = got and datetime.date.fromisoformat(got).isoformat()
                        want = datetime.date.fromisoformat(want).isoformat()
                    self.assertEqual(got, want, f"{path}: stats {key}.{c}")
                self.assertEqual(stats["nullCount"].get(c), row[f"nulls_{c}"], f"{path}: stats nullCount.{c}")

    def check_checkpoints(self, log):
        self.assertGreaterEqual(log.latest(), 10, "a checkpoint is due")
        self.assertEqual(log.checkpoints, list(range(10, log.latest() + 1, 10)))
        self.assertIsNotNone(log.last_checkpoint, "_last_checkpoint")
        self.assertEqual(log.last_checkpoint["version"], log.checkpoints[-1])
        for c in log.checkpoints:
            path = f"{log.log_dir}/{c:020d}.checkpoint.parquet"
            rows = dc.duckdb_rows(f"SELECT to_json(cp)::VARCHAR AS j FROM read_parquet({dc.sql_string(path)}) cp")
            actions = [{k: v for k, v in json.loads(r["j"]).items() if v is not None} for r in rows]
            if c == log.last_checkpoint["version"]:
                self.assertEqual(log.last_checkpoint["size"], len(rows), "_last_checkpoint size")
            adds = sorted(dc.decode_path(a["add"]["path"]) for a in actions if "add" in a)
            self.assertEqual(adds, sorted(log.active_at(c)), f"checkpoint {c}: active files")
            self.assertEqual([a["protocol"]["minReaderVersion"] for a in actions if "protocol" in a], [1])
            self.assertEqual([a["metaData"]["id"] for a in actions if "metaData" in a], [log.metadata["id"]])
            txns = {a["txn"]["appId"]: a["txn"]["version"] for a in actions if "txn" in a}
            replayed = {}
            for v in range(c + 1):
                replayed.update({a["txn"]["appId"]: a["txn"]["version"] for a in log.commits[v] if "txn" in a})
            self.assertEqual(txns, replayed, f"checkpoint {c}: txns")

    def compare_row(self, row, want, event):
        k = row["k"]
        out = []

        def differ(column, got, expected):
            out.append(f"k={k} {column}: lake {got!r}, ingested {expected!r}")

        for c in ("i", "b", "s", "ts_us", "tsn_us", "day_n", "amount", "big", "small", "tags", "nums"):
            if row[c] != want[c]:
                differ(c, row[c], want[c])
        if not same_double(row["d"], want["d"]):
            differ("d", row["d"], want["d"])
        geo, wgeo = row["geo"], want["geo"]
        if (geo is None) != (wgeo is None) or geo is not None and (
                not same_double(geo["lat"], wgeo["lat"]) or not same_double(geo["lon"], wgeo["lon"])
                or geo["name"] != wgeo["name"] or geo["pts"] != wgeo["pts"]):
            differ("geo", geo, wgeo)
        got_j = None if row["j"] is None else json.loads(row["j"])
        if got_j != want["j"]:
            differ("j", row["j"], want["j"])
        ingested_us = int((h.parse_time(event["_ingested_at"]) - EPOCH) / datetime.timedelta(microseconds=1))
        if (row["_offset"], row["_partition"], row["ingested_us"]) != (event["_offset"], 0, ingested_us):
            differ("_offset/_partition/_ingested_at", (row["_offset"], row["_partition"], row["ingested_us"]),
                   (event["_offset"], 0, ingested_us))
        if want["ts_us"] is not None and row["event_us"] != want["ts_us"]:
            differ("_event_time", row["event_us"], want["ts_us"])
        if want["ts_us"] is None and abs(row["event_us"] - ingested_us) > 60 * 10**6:
            differ("_event_time (no ts: the arrival time)", row["event_us"], ingested_us)
        return out

    def test_inferred_columns_added_later_read_back_as_null_in_older_files(self):
        """An inferred stream gains columns after its table exists: the loader commits a new
        metaData whose schema keeps the old columns in order and appends the new ones as nullable;
        older files lack them and read as NULL (read_parquet with union_by_name)."""
        data_dir = self.tmp_path("data")
        table_dir = f"{data_dir}/lake/grow"
        server = self.start_server(LOAD_FLAGS, data_dir=data_dir)
        server.create_stream("grow", infer=True)
        stages = [  # each stage's events bring the keys of the stage before plus new ones
            [{"n": i, "name": f"v{i}"} for i in range(50)],
            [{"n": i, "name": f"v{i}", "score": i / 4, "tags": ["a", f"t{i}"]} for i in range(50, 100)],
            [{"n": i, "flag": i % 2 == 0} for i in range(100, 150)],
        ]
        metadata_versions = []
        for stage in stages:
            status, reply, _ = server.post_events("grow", "".join(json.dumps(e) + "\n" for e in stage))
            self.assertEqual((status, reply["rejected"]), (200, 0), reply)
            deadline = time.monotonic() + 60
            while dc.DeltaLog(table_dir).txns.get("lagoa:grow:0", -1) < reply["last_offset"]:
                self.assertLess(time.monotonic(), deadline, f"not loaded\n{server.stderr_tail()}")
                time.sleep(0.05)
        log = dc.DeltaLog(table_dir)
        self.assertEqual(log.problems(), [])
        self.assertEqual(dc.add_problems(log), [])
        schemas = []
        for v in log.versions:
            for action in log.commits[v]:
                if "metaData" in action:
                    metadata_versions.append(v)
                    schemas.append([(f["name"], f["type"], f["nullable"])
                                    for f in json.loads(action["metaData"]["schemaString"])["fields"]])
                    self.assertEqual(action["metaData"]["id"], log.metadata["id"], "the table id never changes")
        self.assertGreaterEqual(len(schemas), 2, f"metaData commits at {metadata_versions}")
        user = [[c for c in schema if not c[0].startswith("_")] for schema in schemas]
        for older, newer in zip(user, user[1:]):
            self.assertEqual(newer[:len(older)], older, "a new schema keeps the old columns in order")
            self.assertTrue(all(c[2] for c in newer[len(older):]), f"added columns are nullable: {newer}")
        self.assertEqual([c[:2] for c in user[-1]], [("n", "long"), ("name", "string"), ("score", "double"),
                                                     ("tags", {"type": "array", "elementType": "string",
                                                               "containsNull": True}),
                                                     ("flag", "boolean")])
        files = dc.parquet_list_sql(table_dir, sorted(log.active))
        rows = dc.duckdb_rows(f"SELECT n, name, score, tags, flag FROM read_parquet({files}, union_by_name = true) "
                              "ORDER BY n")
        want = [{"n": e["n"], "name": e.get("name"), "score": e.get("score"), "tags": e.get("tags"),
                 "flag": e.get("flag")} for stage in stages for e in stage]
        self.assertEqual([{**r, "score": None if r["score"] is None else float(r["score"])} for r in rows], want)
        print(f"\n[readback/evolution] metaData at versions {metadata_versions}, {len(rows)} rows", flush=True)


if __name__ == "__main__":
    h.main()
