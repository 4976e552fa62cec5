"""REST API basics against the real binary: ready line, health, metrics, the stream catalog."""

import os
import time

import lagoa_harness as h

CLICKS_SCHEMA = "user_id BIGINT, url VARCHAR, ts TIMESTAMPTZ"
DLQ_COLUMNS = [("line", "BIGINT"), ("raw", "VARCHAR"), ("error", "VARCHAR"), ("received_at", "TIMESTAMPTZ")]


def latest_columns(description):
    versions = description["definition"]["versions"]
    return versions[-1]["columns"]


class ApiTest(h.ServerTestCase):

    def test_ready_line_names_url_and_data_dir_and_is_the_only_stdout_line(self):
        s = self.start_server()
        self.assertTrue(s.url.startswith("http://127.0.0.1:"), s.url)
        self.assertGreater(s.port, 0)
        self.assertEqual(os.path.realpath(s.ready_data_dir), os.path.realpath(s.data_dir),
                         f"ready line names data dir {s.ready_data_dir!r}, started with {s.data_dir!r}")
        code, _, killed = s.stop()
        self.assertEqual((code, killed), (0, False), s.stderr_tail())
        self.assertEqual(len(s.stdout_lines), 1, f"stdout must hold exactly the ready line: {s.stdout_lines!r}")

    def test_health_reports_ok_version_and_log_state(self):
        status, body, headers = self.server.health()
        self.assertEqual(status, 200, body)
        self.assertIn("application/json", headers.get("content-type", ""), headers)
        self.assertEqual(body["status"], "ok")
        self.assertIsInstance(body["version"], str)
        self.assertRegex(body["version"], r"^\d+\.\d+\.\d+")
        self.assertIs(body["log_failed"], False)

    def test_unknown_route_is_404_json(self):
        status, body, _ = self.server.json("GET", "/v1/nothing-here")
        self.assert_error_body(status, body, 404, "GET /v1/nothing-here")

    def test_metrics_counters_move_after_ingest(self):
        s = self.server
        s.create_stream("metered", CLICKS_SCHEMA)
        text, headers = s.metrics()
        self.assertTrue(headers.get("content-type", "").startswith("text/plain"), headers)
        before = h.parse_metrics(text)
        key = ("lagoa_ingest_events_total", frozenset({("stream", "metered")}))
        count_before = before.get(key, 0.0)
        self.assertEqual(count_before, 0.0, "a new stream starts with no ingested events")

        body = "".join(f'{{"user_id":{i},"url":"/p{i}","ts":"2024-01-01T00:00:0{i}Z"}}\n' for i in range(7))
        status, reply, _ = s.post_events("metered", body)
        self.assertEqual(status, 200, reply)
        status, reply, _ = s.post_events("metered", '{"user_id":100,"url":"/x","ts":"2024-01-01T00:00:00Z"}\n')
        self.assertEqual(status, 200, reply)

        text, _ = s.metrics()
        after = h.parse_metrics(text)
        self.assertIn(key, after, f"no lagoa_ingest_events_total{{stream=\"metered\"}} in /metrics:\n{text[:3000]}")
        self.assertEqual(after[key], 8.0)
        names = {name for name, _ in after}
        for family in ("lagoa_log_append_seconds_bucket", "lagoa_http_connections"):
            self.assertIn(family, names, f"/metrics lacks {family}")
        self.assertTrue(any(n.startswith("lagoa_log_fsync_seconds") for n in names), "/metrics lacks lagoa_log_fsync_seconds*")
        # A histogram's +Inf bucket counts every observation; appends happened, so it moved.
        inf_buckets = [v for (n, labels), v in after.items()
                       if n == "lagoa_log_append_seconds_bucket" and ("le", "+Inf") in labels]
        self.assertTrue(inf_buckets and sum(inf_buckets) >= 2, f"append histogram +Inf buckets: {inf_buckets}")
        connections = sum(v for (n, _), v in after.items() if n == "lagoa_http_connections")
        self.assertGreaterEqual(connections, 1.0, "the /metrics request itself is an open connection")
        # The memory budget: every share's limit, and what the shares that change on every request
        # hold (nothing, between requests).
        budget = {dict(labels)["share"]: v for (n, labels), v in after.items() if n == "lagoa_memory_budget_bytes"}
        self.assertEqual(set(budget), {"sql", "sql_tail_cache", "ingest", "log", "tables", "lake"}, budget)
        self.assertEqual(budget["sql"], 2.0 * 2**30, budget)
        used = {dict(labels)["share"]: v for (n, labels), v in after.items() if n == "lagoa_memory_used_bytes"}
        self.assertEqual(used.get("log"), 0.0, used)
        self.assertEqual(used.get("ingest"), 0.0, used)

    def test_metrics_show_the_heap_and_its_trims(self):
        # A check every 100 ms (the shortest allowed) publishes the heap within a second. Sanitizer
        # builds replace glibc malloc, so only the families are checked, not their values.
        s = self.start_server(extra_args=["--heap-trim-interval-ms", "100"])
        deadline, found = time.monotonic() + 10, {}
        while time.monotonic() < deadline:
            found = {dict(labels)["state"]: v for (n, labels), v in h.parse_metrics(s.metrics()[0]).items()
                     if n == "lagoa_heap_bytes"}
            if found:
                break
            time.sleep(0.05)
        self.assertEqual(set(found), {"in_use", "free"}, "lagoa_heap_bytes{state} never appeared on /metrics")
        names = {n for n, _ in h.parse_metrics(s.metrics()[0])}
        self.assertIn("lagoa_heap_trims_total", names)
        self.assertIn("lagoa_heap_trim_seconds_count", names)

    def test_create_list_describe_drop(self):
        s = self.server
        status, created = s.create_stream("clicks", CLICKS_SCHEMA, event_time="ts", partitions=1)
        self.assertEqual(status, 201)
        self.assertIsInstance(created, dict)
        self.assertEqual(created.get("name"), "clicks", created)

        status, listing, _ = s.json("GET", "/v1/streams")
        self.assertEqual(status, 200, listing)
        by_name = {st["name"]: st for st in listing["streams"]}
        self.assertIn("clicks", by_name)
        self.assertFalse([n for n in by_name if n.endswith(".dlq")], f"dead-letter streams listed: {list(by_name)}")
        clicks = by_name["clicks"]
        self.assertEqual(clicks["schema_version"], 1)
        self.assertEqual(clicks["events"], 0)
        self.assertEqual(clicks["dead_letter_events"], 0)
        self.assertEqual(len(clicks["partitions"]), 1)
        p0 = clicks["partitions"][0]
        for field in ("partition", "start_offset", "next_offset", "size_bytes", "segments"):
            self.assertIn(field, p0)
        self.assertEqual((p0["partition"], p0["start_offset"], p0["next_offset"]), (0, 0, 0))

        status, desc, _ = s.json("GET", "/v1/streams/clicks")
        self.assertEqual(status, 200, desc)
        self.assertEqual(desc["name"], "clicks")
        versions = desc["definition"]["versions"]
        self.assertEqual([v["version"] for v in versions], [1])
        cols = [(c["name"], c["type"], c["nullable"]) for c in versions[0]["columns"]]
        self.assertEqual(cols, [("user_id", "BIGINT", True), ("url", "VARCHAR", True), ("ts", "TIMESTAMPTZ", True)])
        self.assertEqual(desc["dead_letter"], {"name": "clicks.dlq", "events": 0})
        self.assertEqual(desc["events"], 0)

        status, dlq, _ = s.json("GET", "/v1/streams/clicks.dlq")
        self.assertEqual(status, 200, dlq)
        self.assertEqual([(c["name"], c["type"]) for c in latest_columns(dlq)], DLQ_COLUMNS)

        # Events move the counts.
        status, reply, _ = s.post_events("clicks", '{"user_id":1,"url":"/a","ts":"2024-01-01T00:00:00Z"}\n'
                                                   '{"user_id":2,"url":"/b","ts":"2024-01-01T00:00:01Z"}\n'
                                                   '{"user_id":"x"}\n')
        self.assertEqual(status, 200, reply)
        status, desc, _ = s.json("GET", "/v1/streams/clicks")
        self.assertEqual(desc["events"], 2, desc)
        self.assertEqual(desc["partitions"][0]["next_offset"], 2, desc)
        self.assertGreater(desc["size_bytes"], 0, desc)
        self.assertEqual(desc["dead_letter"]["events"], 1, desc)
        status, listing, _ = s.json("GET", "/v1/streams")
        clicks = {st["name"]: st for st in listing["streams"]}["clicks"]
        self.assertEqual((clicks["events"], clicks["dead_letter_events"]), (2, 1), clicks)

        status, body, _ = s.json("DELETE", "/v1/streams/clicks")
        self.assertIn(status, (200, 204), body)
        for path in ("/v1/streams/clicks", "/v1/streams/clicks.dlq"):
            status, body, _ = s.json("GET", path)
            self.assert_error_body(status, body, 404, f"GET {path} after drop")
        status, listing, _ = s.json("GET", "/v1/streams")
        self.assertNotIn("clicks", [st["name"] for st in listing["streams"]])
        status, body, _ = s.post_events("clicks", '{"user_id":1}\n')
        self.assert_error_body(status, body, 404, "POST to a dropped stream")

        # The name is free again, and the new stream starts empty with its own schema.
        status, created = s.create_stream("clicks", "id BIGINT NOT NULL")
        status, desc, _ = s.json("GET", "/v1/streams/clicks")
        self.assertEqual(desc["events"], 0, desc)
        self.assertEqual(desc["dead_letter"]["events"], 0, desc)
        self.assertEqual([(c["name"], c["type"], c["nullable"]) for c in latest_columns(desc)],
                         [("id", "BIGINT", False)])
        self.assertEqual(s.read_events("clicks"), [])
        # Ingest follows the new schema on every I/O thread (no stale per-thread encoders).
        for i in range(8):
            status, reply, _ = s.post_events("clicks", f'{{"id":{i}}}\n')
            self.assertEqual((status, reply["accepted"]), (200, 1), f"new schema, request {i}: {reply}")
            status, reply, _ = s.post_events("clicks", f'{{"user_id":{i},"url":"/old"}}\n')
            self.assertEqual((status, reply["rejected"]), (400, 1), f"old schema, request {i}: {reply}")
        self.assertEqual([e["id"] for e in s.read_events("clicks")], list(range(8)))
        self.assertEqual(len(s.read_events("clicks.dlq")), 8)

    def test_partitions_are_described_and_readable(self):
        s = self.server
        s.create_stream("parts", "id BIGINT", partitions=3)
        status, desc, _ = s.json("GET", "/v1/streams/parts")
        self.assertEqual([p["partition"] for p in desc["partitions"]], [0, 1, 2], desc)
        placed = {}
        for i in range(6):
            status, reply, _ = s.post_events("parts", f'{{"id":{i}}}\n')
            self.assertEqual(status, 200, reply)
            self.assertIn(reply["partition"], (0, 1, 2), reply)
            placed.setdefault(reply["partition"], []).append((reply["first_offset"], i))
        for p, entries in placed.items():
            events = s.read_events("parts", partition=p)
            self.assertEqual([(e["_offset"], e["id"]) for e in events], entries, f"partition {p}")
            self.assertTrue(all(e["_partition"] == p for e in events))
        status, desc, _ = s.json("GET", "/v1/streams/parts")
        self.assertEqual(desc["events"], 6)
        self.assertEqual(sum(p["next_offset"] for p in desc["partitions"]), 6, desc)

    def test_create_existing_stream_is_409(self):
        s = self.server
        s.create_stream("twice", "id BIGINT")
        status, body, _ = s.json("PUT", "/v1/streams/twice", {"schema": "id BIGINT"})
        self.assert_error_body(status, body, 409, "second PUT")
        status, body, _ = s.json("PUT", "/v1/streams/twice", {"schema": "other VARCHAR"})
        self.assert_error_body(status, body, 409, "second PUT with another schema")
        status, desc, _ = s.json("GET", "/v1/streams/twice")
        self.assertEqual([c["name"] for c in latest_columns(desc)], ["id"], "a 409 must not change the stream")

    def test_bad_schemas_are_400_with_where_and_what(self):
        s = self.server
        cases = [
            ("user_id BIGINTEGER, url VARCHAR", ["BIGINTEGER"]),
            ("a BIGINT, lonely", ["lonely"]),
            ("dup_col BIGINT, dup_col VARCHAR", ["dup_col"]),
            ("a DECIMAL(10", ["DECIMAL"]),
            ("a LIST(NOPE)", ["NOPE"]),
            ("", []),
        ]
        for i, (schema, must_mention) in enumerate(cases):
            with self.subTest(schema=schema):
                status, body, _ = s.json("PUT", f"/v1/streams/bad_schema_{i}", {"schema": schema})
                message = self.assert_error_body(status, body, 400, f"schema {schema!r}")
                for word in must_mention:
                    self.assertIn(word, message, f"schema {schema!r}: message should say what is wrong: {message}")
                status, body, _ = s.json("GET", f"/v1/streams/bad_schema_{i}")
                self.assertEqual(status, 404, f"a refused stream must not exist: {body}")
        status, body, _ = s.json("PUT", "/v1/streams/bad_event_time",
                                 {"schema": "id BIGINT, ts TIMESTAMPTZ", "event_time": "missing_col"})
        message = self.assert_error_body(status, body, 400, "event_time naming no column")
        self.assertIn("missing_col", message)
        status, body, _ = s.json("PUT", "/v1/streams/no_schema", {})
        self.assert_error_body(status, body, 400, "neither schema nor infer")
        status, body, _ = s.json("PUT", "/v1/streams/not_json", b"{schema:",
                                 {"Content-Type": "application/json"})
        self.assert_error_body(status, body, 400, "body not JSON")
        self.assert_healthy()

    def test_dlq_names_are_reserved(self):
        s = self.server
        status, body, _ = s.json("PUT", "/v1/streams/mine.dlq", {"schema": "id BIGINT"})
        message = self.assert_error_body(status, body, 400, "PUT mine.dlq")
        self.assertIn(".dlq", message)
        status, listing, _ = s.json("GET", "/v1/streams")
        self.assertNotIn("mine.dlq", [st["name"] for st in listing["streams"]])
        status, body, _ = s.json("GET", "/v1/streams/mine.dlq")
        self.assertEqual(status, 404, body)

    def test_unknown_stream_is_404(self):
        s = self.server
        for method, path in (("GET", "/v1/streams/nope"), ("DELETE", "/v1/streams/nope"),
                             ("GET", "/v1/streams/nope/events?from=0"), ("GET", "/v1/streams/nope.dlq")):
            status, body, _ = s.json(method, path)
            self.assert_error_body(status, body, 404, f"{method} {path}")


if __name__ == "__main__":
    h.main()
