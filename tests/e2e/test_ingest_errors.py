"""Bad input through the real server: every refusal is precise, lands in the DLQ when it should,
and leaves the server healthy."""

import datetime
import json
import time

import lagoa_harness as h

SCHEMA = "event_id BIGINT NOT NULL, qty INTEGER, label VARCHAR, happened_at TIMESTAMPTZ"
GOOD = '{{"event_id":{0},"qty":1,"label":"good {0}","happened_at":"2024-01-01T00:00:00Z"}}'


class IngestErrorsTest(h.ServerTestCase):

    def dlq(self, stream, start=0):
        return self.server.read_events(stream + ".dlq", start=start)

    def dlq_count(self, stream):
        status, desc, _ = self.server.json("GET", f"/v1/streams/{stream}")
        self.assertEqual(status, 200, desc)
        return desc["dead_letter"]["events"]

    def test_mixed_batch_reports_each_bad_line_and_dead_letters_it(self):
        s = self.server
        s.create_stream("mixed", SCHEMA)
        lines = [
            GOOD.format(1),                                          # 1
            '{"event_id":2,"qty":',                                  # 2 malformed JSON
            '',                                                      # 3 blank: skipped, not an event
            '{"event_id":3,"label":"b"}',                            # 4 good
            '{"event_id":"4","label":"c"}',                          # 5 string for BIGINT
            '{"event_id":5,"qty":2147483648}',                       # 6 INTEGER overflow
            '{"event_id":6,"zzz_unknown":1}',                        # 7 unknown field
            '{"event_id":9223372036854775808}',                      # 8 BIGINT overflow
            '{"label":"no id"}',                                     # 9 NOT NULL column missing
            '{"event_id":7,"happened_at":"yesterday"}',              # 10 not a timestamp
            '{"event_id":8,"qty":1.5}',                              # 11 fraction for INTEGER
            '{"event_id":9,"label":12}',                             # 12 number for VARCHAR
            '[1,2]',                                                 # 13 not an object
            '{"event_id":null}',                                     # 14 null for NOT NULL
            '{"event_id":10,"label":"last good"}',                   # 15 good
        ]
        must_mention = {
            2: [], 5: ["event_id", "BIGINT", "4"], 6: ["qty", "INTEGER", "2147483648"], 7: ["zzz_unknown"],
            8: ["event_id", "9223372036854775808"], 9: ["event_id"], 10: ["happened_at", "yesterday"],
            11: ["qty", "1.5"], 12: ["label", "VARCHAR"], 13: [], 14: ["event_id"],
        }
        t_min = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
        status, reply, _ = s.post_events("mixed", "\n".join(lines) + "\n")
        t_max = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=5)
        self.assertEqual(status, 200, reply)
        self.assertEqual((reply["accepted"], reply["rejected"]), (3, len(must_mention)), reply)
        self.assertEqual((reply["partition"], reply["first_offset"], reply["last_offset"]), (0, 0, 2), reply)
        error_lines = [e["line"] for e in reply["errors"]]
        self.assertEqual(error_lines, sorted(must_mention), f"error line numbers: {reply['errors']}")
        errors = {e["line"]: e["error"] for e in reply["errors"]}
        for line, words in must_mention.items():
            self.assertTrue(errors[line].strip(), f"line {line}: empty error")
            for word in words:
                self.assertIn(word, errors[line], f"line {line} ({lines[line - 1]}): message should mention {word!r}")

        events = s.read_events("mixed")
        self.assertEqual([(e["_offset"], e["event_id"]) for e in events], [(0, 1), (1, 3), (2, 10)])

        dead = self.dlq("mixed")
        self.assertEqual(len(dead), len(must_mention), dead)
        self.assertEqual([d["line"] for d in dead], sorted(must_mention))
        for d in dead:
            self.assertEqual(d["raw"], lines[d["line"] - 1], f"DLQ raw text of line {d['line']}")
            self.assertEqual(d["error"], errors[d["line"]], f"DLQ error of line {d['line']}")
            self.assertTrue(t_min <= h.parse_time(d["received_at"]) <= t_max, d)
        self.assertEqual([d["_offset"] for d in dead], list(range(len(dead))))
        self.assertEqual(self.dlq_count("mixed"), len(must_mention))
        status, listing, _ = s.json("GET", "/v1/streams")
        entry = {st["name"]: st for st in listing["streams"]}["mixed"]
        self.assertEqual((entry["events"], entry["dead_letter_events"]), (3, len(must_mention)), entry)
        self.assert_healthy()

    def test_array_body_reports_element_index(self):
        s = self.server
        s.create_stream("arr_err", SCHEMA)
        body = "[" + ",".join([GOOD.format(1), '{"event_id":"two"}', GOOD.format(3), '{"qty":1}']) + "]"
        status, reply, _ = s.post_events("arr_err", body, "application/json")
        self.assertEqual(status, 200, reply)
        self.assertEqual((reply["accepted"], reply["rejected"]), (2, 2), reply)
        self.assertEqual([e["line"] for e in reply["errors"]], [2, 4], reply)
        self.assertEqual([d["line"] for d in self.dlq("arr_err")], [2, 4])

    def test_invalid_utf8_is_rejected_and_output_stays_valid_utf8(self):
        s = self.server
        s.create_stream("utf8", SCHEMA)
        body = b"\n".join([
            b'{"event_id":20,"label":"ok"}',
            b'{"event_id":21,"label":"\xff\xfe bad"}',      # bytes never valid in UTF-8
            b'{"event_id":22,"label":"\xc3\x28"}',          # truncated two-byte sequence
            b'{"event_id":23,"label":"fine \xc3\xa9"}',     # valid: e-acute
            b'{"event_id":24,"label":"\xc0\xaf"}',          # overlong encoding of '/'
            b'{"event_id":25,"label":"\xed\xa0\x80"}',      # UTF-16 surrogate encoded in UTF-8
            b'{"event_id":26,"lab\xffel":"x"}',             # invalid byte in a key
        ]) + b"\n"
        status, reply, _ = s.post_events("utf8", body)
        self.assertEqual(status, 200, reply)
        self.assertEqual((reply["accepted"], reply["rejected"]), (2, 5), reply)
        self.assertEqual([e["line"] for e in reply["errors"]], [2, 3, 5, 6, 7], reply)
        events = s.read_events("utf8")  # parse_ndjson decodes strictly
        self.assertEqual([(e["event_id"], e["label"]) for e in events], [(20, "ok"), (23, "fine é")])
        dead = self.dlq("utf8")
        self.assertEqual([d["line"] for d in dead], [2, 3, 5, 6, 7])
        for d in dead:
            self.assertTrue(d["error"].strip())
            self.assertIsInstance(d["raw"], str)
        self.assert_healthy()

    def test_deep_nesting_never_crashes(self):
        s = self.server
        s.create_stream("deep", "event_id BIGINT NOT NULL, doc JSON, label VARCHAR")
        depth = 10000
        cases = [
            ("balanced arrays in JSON column", '{"event_id":1,"doc":' + "[" * depth + "]" * depth + "}", None),
            ("balanced objects in JSON column", '{"event_id":2,"doc":' + '{"a":' * depth + "1" + "}" * depth + "}", None),
            ("unbalanced", '{"event_id":3,"doc":' + "[" * depth, 400),
            ("deep value for VARCHAR", '{"event_id":4,"label":' + "[" * depth + "]" * depth + "}", 400),
            ("deep non-object line", "[" * depth + "]" * depth, 400),
        ]
        for label, line, want in cases:
            with self.subTest(case=label):
                status, reply, _ = s.post_events("deep", line + "\n")
                self.assertIn(status, (200, 400), f"{label}: {status} {reply}")
                if want is not None:
                    self.assertEqual(status, want, f"{label}: {reply}")
                if status == 400 and line.startswith("[") and "accepted" not in reply:
                    # A body starting with '[' may be taken as one JSON array and refused as a whole.
                    self.assert_error_body(status, reply, 400, label)
                elif status == 400:
                    self.assertEqual((reply["accepted"], reply["rejected"]), (0, 1), f"{label}: {reply}")
                    self.assertEqual(reply["errors"][0]["line"], 1, reply)
                    self.assertTrue(reply["errors"][0]["error"].strip(), reply)
                else:
                    self.assertEqual((reply["accepted"], reply["rejected"]), (1, 0), f"{label}: {reply}")
                    offset = reply["first_offset"]
                    code, _, data = s.request("GET", f"/v1/streams/deep/events?from={offset}&partition=0&limit=1")
                    self.assertEqual(code, 200)
                    self.assertGreaterEqual(data.count(b"[") + data.count(b"{"), depth, f"{label}: nesting lost on read")
                self.assert_healthy(context=label)
        # The whole body as one deep array (the array format).
        status, reply, _ = s.post_events("deep", "[" * depth + "]" * depth, "application/json")
        self.assertEqual(status, 400, reply)
        self.assert_healthy(context="deep array body")
        status, reply, _ = s.post_events("deep", "[" * depth, "application/json")
        self.assertEqual(status, 400, reply)
        # Deep lines among good ones: the good ones still go in.
        body = '{"event_id":10}\n' + '{"event_id":11,"label":' + "[" * depth + "\n" + '{"event_id":12}\n'
        status, reply, _ = s.post_events("deep", body)
        self.assertEqual(status, 200, reply)
        self.assertEqual((reply["accepted"], reply["rejected"]), (2, 1), reply)
        self.assertEqual([e["line"] for e in reply["errors"]], [2])
        self.assert_healthy()

    def test_ten_mib_line(self):
        s = self.server
        s.create_stream("big", "event_id BIGINT NOT NULL, label VARCHAR")
        size = 10 << 20
        value = "".join(chr(ord("a") + i % 26) for i in range(26)) * (size // 26 + 1)
        value = value[:size]
        line = '{"event_id":1,"label":"' + value + '"}\n'
        status, reply, _ = s.post_events("big", line)
        self.assertIn(status, (200, 400), reply)
        self.assert_healthy(context="after a 10 MiB line")
        if status == 200:
            self.assertEqual((reply["accepted"], reply["rejected"]), (1, 0), reply)
            events = s.read_events("big", limit=1)
            self.assertEqual(len(events), 1, "a stored 10 MiB event must be readable")
            self.assertEqual(events[0]["event_id"], 1)
            self.assertEqual(len(events[0]["label"]), size)
            self.assertTrue(events[0]["label"] == value, "10 MiB value changed on the way")
        else:
            self.assertEqual((reply["accepted"], reply["rejected"]), (0, 1), reply)
            message = reply["errors"][0]["error"].lower()
            self.assertTrue(any(w in message for w in ("large", "long", "size", "bytes", "limit", "exceed")),
                            f"a refused 10 MiB line needs a clear reason: {message}")
        status, reply, _ = s.post_events("big", '{"event_id":2,"label":"small"}\n')
        self.assertEqual(status, 200, reply)
        self.assert_healthy()

    def test_empty_body_is_400(self):
        s = self.server
        s.create_stream("empty", SCHEMA)
        for content_type in ("application/x-ndjson", "application/json"):
            with self.subTest(content_type=content_type):
                status, reply, _ = s.post_events("empty", b"", content_type)
                self.assertEqual(status, 400, reply)
                self.assertIsInstance(reply, dict, reply)
                self.assert_healthy(context=f"empty {content_type}")
        for body in ("[]", "  \n \n"):
            status, reply, _ = s.post_events("empty", body, "application/json")
            self.assertEqual(status, 400, f"{body!r}: {reply}")
        self.assertEqual(s.read_events("empty"), [])

    def test_all_lines_bad_is_400_with_the_same_body(self):
        s = self.server
        s.create_stream("allbad", SCHEMA)
        lines = ['{"event_id":"a"}', "nope", '{"qty":1}']
        status, reply, _ = s.post_events("allbad", "\n".join(lines) + "\n")
        self.assertEqual(status, 400, reply)
        self.assertEqual((reply["accepted"], reply["rejected"]), (0, 3), reply)
        self.assertIsNone(reply["first_offset"], reply)
        self.assertIsNone(reply["last_offset"], reply)
        self.assertEqual([e["line"] for e in reply["errors"]], [1, 2, 3], reply)
        self.assertEqual([(d["line"], d["raw"]) for d in self.dlq("allbad")], list(enumerate(lines, 1)))
        self.assertEqual(s.read_events("allbad"), [])
        self.assert_healthy()

    def test_at_most_100_errors_listed_but_all_dead_lettered(self):
        s = self.server
        s.create_stream("many", SCHEMA)
        lines = [GOOD.format(0)] + [f'{{"event_id":"bad {i}"}}' for i in range(150)]
        status, reply, _ = s.post_events("many", "\n".join(lines) + "\n")
        self.assertEqual(status, 200, reply)
        self.assertEqual((reply["accepted"], reply["rejected"]), (1, 150), reply)
        self.assertEqual(len(reply["errors"]), 100, "at most 100 errors are listed")
        listed = [e["line"] for e in reply["errors"]]
        self.assertEqual(listed, sorted(set(listed)))
        self.assertTrue(set(listed) <= set(range(2, 152)), listed)
        dead = self.dlq("many")
        self.assertEqual([d["raw"] for d in dead], lines[1:])

    def test_unknown_stream_is_404(self):
        status, reply, _ = self.server.post_events("no_such_stream", GOOD.format(1) + "\n")
        self.assert_error_body(status, reply, 404, "POST to an unknown stream")
        status, _, _ = self.server.json("GET", "/v1/streams/no_such_stream")
        self.assertEqual(status, 404, "a 404 ingest must not create the stream")
        self.assert_healthy()

    def test_unsupported_and_corrupt_encodings(self):
        s = self.server
        s.create_stream("enc", SCHEMA)
        status, reply, _ = s.post_events("enc", GOOD.format(1) + "\n", encoding="br")
        self.assert_error_body(status, reply, 415, "Content-Encoding: br")
        status, reply, _ = s.post_events("enc", b"\x1f\x8b\x08\x00garbage-not-gzip", encoding="gzip")
        self.assert_error_body(status, reply, 400, "corrupt gzip")
        truncated = h.gzip_bytes((GOOD.format(2) + "\n").encode() * 100)[:-20]
        status, reply, _ = s.post_events("enc", truncated, encoding="gzip")
        self.assert_error_body(status, reply, 400, "truncated gzip")
        status, reply, _ = s.post_events("enc", b"\x28\xb5\x2f\xfdnot zstd at all", encoding="zstd")
        self.assert_error_body(status, reply, 400, "corrupt zstd")
        self.assertEqual(s.read_events("enc"), [])
        self.assert_healthy()

    def test_default_body_limit_is_16_mib(self):
        s = self.server
        s.create_stream("limit16", SCHEMA)
        body = (GOOD.format(1) + "\n").encode()
        body = body + b" " * ((16 << 20) + 1 - len(body))
        status, headers, data = h.post_raw(s.port, "/v1/streams/limit16/events",
                                         {"Content-Type": "application/x-ndjson", "Content-Length": str(len(body))}, body)
        self.assertEqual(status, 413, data[:300])
        self.assertEqual(json.loads(data)["status"], 413)
        self.assert_healthy()
        self.assertEqual(s.read_events("limit16"), [])

    def test_body_over_max_body_bytes_is_413(self):
        s = self.start_server(["--max-body-bytes", "4096"])
        s.create_stream("lim", SCHEMA)
        path = "/v1/streams/lim/events"
        line = (GOOD.format(1) + "\n").encode()
        small = line * (4000 // len(line))
        status, reply, _ = s.post_events("lim", small)
        self.assertEqual(status, 200, f"{len(small)} bytes is under the limit: {reply}")

        big = line * (5000 // len(line) + 1)
        status, _, data = h.post_raw(s.port, path, {"Content-Type": "application/x-ndjson",
                                                  "Content-Length": str(len(big))}, big)
        self.assertEqual(status, 413, data[:300])
        self.assertEqual(json.loads(data)["status"], 413)
        self.assert_healthy(s, "after Content-Length over the limit")

        chunked = b"".join(b"%x\r\n%s\r\n" % (len(line), line) for _ in range(5000 // len(line) + 1)) + b"0\r\n\r\n"
        req = h.RawRequest(s.port)
        try:
            req.send_head("POST", path, {"Content-Type": "application/x-ndjson", "Transfer-Encoding": "chunked"})
            try:
                req.send(chunked)
            except (BrokenPipeError, ConnectionResetError):
                pass
            status, _, data = req.read_response()
        finally:
            req.close()
        self.assertEqual(status, 413, data[:300])
        self.assert_healthy(s, "after a chunked body over the limit")

        bomb = h.gzip_bytes(line * ((1 << 20) // len(line)))
        self.assertLess(len(bomb), 4096, "the compressed bomb itself must fit the limit")
        status, reply, _ = s.post_events("lim", bomb, encoding="gzip")
        self.assert_error_body(status, reply, 413, "gzip body over the limit once decompressed")
        zbomb = h.zstd_bytes(line * ((1 << 20) // len(line)))
        status, reply, _ = s.post_events("lim", zbomb, encoding="zstd")
        self.assert_error_body(status, reply, 413, "zstd body over the limit once decompressed")
        self.assert_healthy(s, "after decompression bombs")

        events = s.read_events("lim")
        self.assertEqual(len(events), len(small) // len(line), "only the small request may have stored events")

    def test_back_pressure_on_ingest_memory_is_429_and_recovers(self):
        s = self.start_server(["--ingest-memory-bytes-max", "1MiB", "--max-body-bytes", "1MiB"])
        s.create_stream("bp", SCHEMA)
        holders = []
        try:
            # Memory is reserved as bytes arrive: one body sent but for its last byte holds it all.
            req = h.RawRequest(s.port)
            req.send_head("POST", "/v1/streams/bp/events",
                          {"Content-Type": "application/x-ndjson", "Content-Length": str(1 << 20)})
            req.send(b" " * ((1 << 20) - 1))
            holders.append(req)
            time.sleep(0.5)
            status, headers, data = s.request("POST", "/v1/streams/bp/events", (GOOD.format(2) + "\n").encode(),
                                              {"Content-Type": "application/x-ndjson"})
            self.assertEqual(status, 429, f"a 1 MiB body held over a 1 MiB budget: {status} {data[:300]!r}")
            self.assertIn("retry-after", headers, headers)
            self.assertRegex(headers["retry-after"], r"^\d+$")
            body = json.loads(data)
            self.assertEqual(body["status"], 429, body)
            self.assertTrue(body["error"].strip())
            self.assert_healthy(s, "while bodies are held")
        finally:
            for req in holders:
                req.close()
        # Closing the half-sent bodies must give their reservations back.
        deadline = time.monotonic() + 15
        while True:
            status, reply, _ = s.post_events("bp", GOOD.format(3) + "\n")
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(status, 200, f"memory budget not released after the holders closed: {reply}")
        self.assertEqual([e["event_id"] for e in s.read_events("bp")], [3])
        self.assert_healthy(s)

    def test_disk_guard_is_507_and_names_free_space(self):
        data_dir = self.tmp_path("guarded")
        s = self.start_server(data_dir=data_dir)
        s.create_stream("guard", SCHEMA)
        code, _, killed = s.stop()
        self.assertEqual((code, killed), (0, False))
        for flags in (["--free-space-min-bytes", "0", "--free-space-min-percent", "100"],
                      ["--free-space-min-bytes", "1000TiB", "--free-space-min-percent", "0"]):
            with self.subTest(flags=flags):
                g = self.new_server(flags, data_dir=data_dir, test_flags=False).start()
                status, reply, _ = g.post_events("guard", GOOD.format(1) + "\n")
                message = self.assert_error_body(status, reply, 507, f"append with {flags}")
                self.assertIn("free", message.lower(), f"the 507 message should name the free space: {message}")
                status, body, _ = g.health()
                self.assertEqual(status, 200, f"disk guard must not make the server unhealthy: {body}")
                self.assertEqual(g.read_events("guard"), [])
                code, _, killed = g.stop()
                self.assertEqual((code, killed), (0, False), g.stderr_tail())
        s2 = self.start_server(data_dir=data_dir)
        status, reply, _ = s2.post_events("guard", GOOD.format(2) + "\n")
        self.assertEqual(status, 200, reply)
        self.assertEqual([(e["_offset"], e["event_id"]) for e in s2.read_events("guard")], [(0, 2)])


if __name__ == "__main__":
    h.main()
