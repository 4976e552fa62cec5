"""Ingest in every body format the server accepts, then read every field back (HTTP and CLI)."""

import datetime
import decimal
import json
import threading
import time

import lagoa_harness as h

SCHEMA = ("id BIGINT NOT NULL, flag BOOLEAN, small INTEGER, ratio DOUBLE, amount DECIMAL(10,2), "
          "name VARCHAR, birthday DATE, local_ts TIMESTAMP, ts TIMESTAMPTZ, doc JSON, "
          "nums LIST(INTEGER), tags LIST(VARCHAR), pair STRUCT(a INTEGER, b VARCHAR)")
COLUMN_TYPES = {
    "id": "int", "flag": "bool", "small": "int", "ratio": "double", "amount": "decimal",
    "name": "str", "birthday": "date", "local_ts": "time", "ts": "time", "doc": "json",
    "nums": "plain", "tags": "plain", "pair": "plain",
}
META = ("_offset", "_partition", "_ingested_at")

NAMES = ["plain", "héllo wörld", 'quote " backslash \\ slash /', "tab\tnewline\ncr\r", "snow ☃ emoji 😀",
         "ctrl \u0001\u001f", ""]
AMOUNTS = ["12.34", "-0.05", "99999999.99", "0", "7.5"]
RATIOS = ["3.25", "-0.5", "1.5e300", "0.1", "0", "-2.2250738585072014e-308"]
SMALLS = [0, -2147483648, 2147483647, 42]
IDS_SPECIAL = {3: 9223372036854775807, 4: -9223372036854775808}


def make_event(k):
    """Event k as (JSON text, expected values). Numbers that must keep their exact text (DECIMAL,
    DOUBLE) are spliced in as raw JSON."""
    if k == 21:  # every nullable column null
        values = {c: None for c in COLUMN_TYPES}
        values["id"] = k
        return json.dumps(values), values
    values = {
        "id": IDS_SPECIAL.get(k, k),
        "flag": k % 2 == 0,
        "small": SMALLS[k % len(SMALLS)],
        "name": NAMES[k % len(NAMES)],
        "birthday": ["2024-02-29", "1970-01-01", "1999-12-31"][k % 3],
        "local_ts": ["2024-05-06T07:08:09.123456Z", "1999-12-31T23:59:59Z", "2030-01-01T00:00:00.5Z"][k % 3],
        "ts": ["2024-05-06T07:08:09.5+02:00", "2024-05-06T05:08:09Z", "1969-07-20T20:17:40.000001-05:00"][k % 3],
        "doc": [{"k": [1, 2, {"z": None}], "s": "v"}, {"nested": {"deep": [True, False]}}, {}][k % 3],
        "nums": [[1, 2, 3], [], [-7]][k % 3],
        "tags": [["a", "b"], [], ["ü"]][k % 3],
        "pair": [{"a": 1, "b": "x"}, {"a": -5, "b": ""}, {"a": k, "b": "k"}][k % 3],
    }
    ratio, amount = RATIOS[k % len(RATIOS)], AMOUNTS[k % len(AMOUNTS)]
    text = json.dumps(values, ensure_ascii=k % 2 == 0)[:-1] + f', "ratio": {ratio}, "amount": {amount}}}'
    values["ratio"], values["amount"] = ratio, amount
    return text, values


def same_value(kind, expected, got):
    if expected is None:
        return got is None
    if got is None:
        return False
    if kind == "int":
        return type(got) is int and got == expected
    if kind == "bool":
        return got is expected
    if kind == "double":
        return isinstance(got, (int, decimal.Decimal)) and float(got) == float(expected)
    if kind == "decimal":
        # A DECIMAL may be written as a JSON number or as a string; either way the value is exact.
        try:
            return decimal.Decimal(str(got)) == decimal.Decimal(expected)
        except decimal.InvalidOperation:
            return False
    if kind == "str":
        return got == expected
    if kind == "date":
        return isinstance(got, str) and datetime.date.fromisoformat(got[:10]) == datetime.date.fromisoformat(expected) \
            and len(got) == 10
    if kind == "time":
        return isinstance(got, str) and h.parse_time(got) == h.parse_time(expected)
    if kind == "json":
        if isinstance(got, str):  # a JSON column may come back as JSON text
            got = json.loads(got, parse_float=decimal.Decimal)
        return got == expected
    return got == expected


class IngestFormatsTest(h.ServerTestCase):

    def check_events(self, events, expected, first_offset=0, t_min=None, t_max=None, source=""):
        self.assertEqual(len(events), len(expected), f"{source}: event count")
        for n, (event, want) in enumerate(zip(events, expected)):
            where = f"{source}: offset {first_offset + n}"
            self.assertEqual(event.get("_offset"), first_offset + n, f"{where}: offsets must be dense and ordered")
            self.assertEqual(event.get("_partition"), 0, where)
            self.assertIsInstance(event.get("_ingested_at"), str, f"{where}: _ingested_at missing: {event}")
            ingested = h.parse_time(event["_ingested_at"])
            if t_min is not None:
                self.assertTrue(t_min <= ingested <= t_max, f"{where}: _ingested_at {ingested} not in [{t_min}, {t_max}]")
            extra = set(event) - set(COLUMN_TYPES) - set(META)
            self.assertFalse(extra, f"{where}: unexpected fields {extra}")
            for column, kind in COLUMN_TYPES.items():
                if column not in event:
                    self.assertIsNone(want[column], f"{where}: field {column} missing from {event}")
                    continue
                self.assertTrue(same_value(kind, want[column], event[column]),
                                f"{where}: field {column}: sent {want[column]!r}, read back {event[column]!r}")

    def test_every_format_round_trips_every_field(self):
        s = self.server
        s.create_stream("fmt", SCHEMA, event_time="ts")
        texts, expected = zip(*[make_event(k) for k in range(24)])
        ndjson = lambda ks: ("\n".join(texts[k] for k in ks) + "\n").encode()
        array = lambda ks: ("[" + ",\n ".join(texts[k] for k in ks) + "]").encode()
        # A pretty-printed object; ratio and amount keep their exact text.
        pretty = (json.dumps({k: v for k, v in json.loads(texts[10]).items() if k not in ("ratio", "amount")},
                             indent=2)[:-2] + f',\n  "ratio": {expected[10]["ratio"]},\n  "amount": {expected[10]["amount"]}\n}}').encode()
        requests = [
            ("ndjson", [0, 1, 2, 3, 4], b"\n".join([ndjson([0, 1]), ndjson([2, 3, 4])]), "application/x-ndjson", None),
            ("array", [5, 6, 7, 8, 9], array([5, 6, 7, 8, 9]), "application/json", None),
            ("pretty object", [10], pretty, "application/json", None),
            ("gzip ndjson", [11, 12, 13, 14, 15], h.gzip_bytes(ndjson([11, 12, 13, 14, 15])), "application/x-ndjson", "gzip"),
            ("zstd ndjson", [16, 17, 18, 19, 20], h.zstd_bytes(ndjson([16, 17, 18, 19, 20])), "application/x-ndjson", "zstd"),
            ("nulls", [21], ndjson([21]), "application/x-ndjson", None),
            ("gzip array", [22, 23], h.gzip_bytes(array([22, 23])), "application/json", "gzip"),
        ]
        t_min = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
        next_offset = 0
        for label, ks, body, content_type, encoding in requests:
            status, reply, _ = s.post_events("fmt", body, content_type, encoding)
            self.assertEqual(status, 200, f"{label}: {reply}")
            self.assertEqual((reply["accepted"], reply["rejected"], reply["errors"]), (len(ks), 0, []), f"{label}: {reply}")
            self.assertEqual(reply["partition"], 0, label)
            self.assertEqual((reply["first_offset"], reply["last_offset"]), (next_offset, next_offset + len(ks) - 1),
                             f"{label}: offsets must continue densely: {reply}")
            next_offset += len(ks)
        t_max = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=5)
        expected = list(expected)

        events = s.read_events("fmt")
        self.check_events(events, expected, 0, t_min, t_max, "GET events")
        ingested = [h.parse_time(e["_ingested_at"]) for e in events]
        self.assertEqual(ingested, sorted(ingested), "_ingested_at must not go backwards along the log")

        # The same through the CLI.
        result = h.run_cli(["stream", "tail", "fmt"], url=s.url)
        self.assertEqual(result.returncode, 0, result.stderr)
        tailed = h.parse_ndjson(result.stdout)
        self.check_events(tailed, expected, 0, t_min, t_max, "lagoa stream tail")
        result = h.run_cli(["stream", "tail", "fmt", "--from", "3", "--limit", "4"], url=s.url)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.check_events(h.parse_ndjson(result.stdout), expected[3:7], 3, source="tail --from 3 --limit 4")

        # The stream describes what it holds.
        status, desc, _ = s.json("GET", "/v1/streams/fmt")
        self.assertEqual(desc["events"], len(expected), desc)
        self.assertEqual(desc["partitions"][0]["next_offset"], len(expected), desc)
        self.assertEqual(desc["dead_letter"]["events"], 0, desc)

    def test_read_windows_and_next_offset(self):
        s = self.server
        s.create_stream("window", "id BIGINT NOT NULL, v VARCHAR")
        body = "".join(f'{{"id":{i},"v":"v{i}"}}\n' for i in range(10))
        status, reply, _ = s.post_events("window", body)
        self.assertEqual(status, 200, reply)
        status, headers, data = s.request("GET", "/v1/streams/window/events?from=2&partition=0&limit=3")
        self.assertEqual(status, 200)
        self.assertEqual([(e["_offset"], e["id"], e["v"]) for e in h.parse_ndjson(data)],
                         [(2, 2, "v2"), (3, 3, "v3"), (4, 4, "v4")])
        self.assertEqual(headers.get("lagoa-next-offset"), "5", headers)
        status, headers, data = s.request("GET", "/v1/streams/window/events?from=10&partition=0&limit=3")
        self.assertEqual((status, data.strip()), (200, b""), "reading at the end gives nothing")
        self.assertEqual(headers.get("lagoa-next-offset"), "10", headers)
        status, headers, data = s.request("GET", "/v1/streams/window/events?from=0&partition=0")
        self.assertEqual([e["id"] for e in h.parse_ndjson(data)], list(range(10)), "no limit: everything")

    def test_long_poll_waits_and_sees_a_new_event(self):
        s = self.server
        s.create_stream("poll", "id BIGINT NOT NULL")
        t0 = time.monotonic()
        status, headers, data = s.request("GET", "/v1/streams/poll/events?from=0&partition=0&wait_ms=400")
        waited = time.monotonic() - t0
        self.assertEqual((status, data.strip()), (200, b""))
        self.assertGreaterEqual(waited, 0.3, "wait_ms=400 on an empty stream must wait")
        self.assertLess(waited, 10)

        result = {}

        def poll():
            t = time.monotonic()
            result["answer"] = s.request("GET", "/v1/streams/poll/events?from=0&partition=0&wait_ms=15000")
            result["seconds"] = time.monotonic() - t

        reader = threading.Thread(target=poll)
        reader.start()
        time.sleep(0.5)
        status, reply, _ = s.post_events("poll", '{"id":77}\n')
        self.assertEqual(status, 200, reply)
        reader.join(30)
        self.assertFalse(reader.is_alive(), "long poll did not return")
        status, headers, data = result["answer"]
        self.assertEqual(status, 200)
        self.assertEqual([(e["_offset"], e["id"]) for e in h.parse_ndjson(data)], [(0, 77)])
        self.assertLess(result["seconds"], 10, "the long poll should return soon after the event arrives")
        self.assertEqual(headers.get("lagoa-next-offset"), "1")


if __name__ == "__main__":
    h.main()
