"""The `lagoa` command line against a real server: stream commands, tail, ingest, exit codes,
configuration precedence and errors, and the data directory lock."""

import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time

import lagoa_harness as h

SCHEMA = "user_id BIGINT NOT NULL, url VARCHAR, ts TIMESTAMPTZ"


def event(i):
    return {"user_id": i, "url": f"/page/{i}", "ts": f"2024-03-0{1 + i % 9}T10:00:{i % 60:02d}Z"}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CliTest(h.ServerTestCase):

    def write(self, name, text):
        path = self.tmp_path(name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def assert_events(self, events, expected, first_offset=0):
        self.assertEqual([e["_offset"] for e in events], list(range(first_offset, first_offset + len(expected))))
        for e, want in zip(events, expected):
            self.assertEqual(e["user_id"], want["user_id"])
            self.assertEqual(e.get("url"), want["url"])
            if want["ts"] is None:
                self.assertIsNone(e.get("ts"))
            else:
                self.assertEqual(h.parse_time(e["ts"]), h.parse_time(want["ts"]))

    def test_version_matches_the_server(self):
        result = h.run_cli(["version"])
        self.assertEqual(result.returncode, 0, result.stderr)
        status, health, _ = self.server.health()
        self.assertRegex(result.stdout.decode().strip(), r"^lagoa \d+\.\d+\.\d+")
        self.assertIn(health["version"], result.stdout.decode(), "CLI and server report different versions")

    def test_stream_commands_and_exit_codes(self):
        url = self.server.url
        r = h.run_cli(["stream", "create", "clicks", "--schema", SCHEMA, "--event-time", "ts", "--partitions", "2"], url)
        self.assertEqual(r.returncode, 0, r.stderr)
        status, desc, _ = self.server.json("GET", "/v1/streams/clicks")
        self.assertEqual(status, 200)
        self.assertEqual(len(desc["partitions"]), 2, desc)
        self.assertEqual([c["name"] for c in desc["definition"]["versions"][-1]["columns"]], ["user_id", "url", "ts"])

        r = h.run_cli(["stream", "create", "clicks", "--schema", SCHEMA], url)
        self.assertEqual(r.returncode, 1, "creating an existing stream is refused by the server")
        self.assertIn("409", r.stderr.decode() + r.stdout.decode())

        r = h.run_cli(["stream", "create", "bad", "--schema", "x WHATEVERTYPE"], url)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("WHATEVERTYPE", r.stderr.decode())

        r = h.run_cli(["stream", "create", "neither"], url)
        self.assertEqual(r.returncode, 2, "no --schema and no --infer is a usage error")

        r = h.run_cli(["stream", "create", "inferred", "--infer"], url)
        self.assertEqual(r.returncode, 0, r.stderr)

        r = h.run_cli(["stream", "list"], url)
        self.assertEqual(r.returncode, 0, r.stderr)
        names = [st["name"] for st in json.loads(r.stdout)["streams"]]
        # Other tests of this class share the server and create streams of their own.
        self.assertLessEqual({"clicks", "inferred"}, set(names), names)
        self.assertFalse({"bad", "neither"} & set(names), f"refused creates left streams behind: {names}")

        r = h.run_cli(["stream", "list"], env={"LAGOA_URL": url})
        self.assertEqual(r.returncode, 0, f"LAGOA_URL must set the URL: {r.stderr}")
        self.assertEqual(sorted(st["name"] for st in json.loads(r.stdout)["streams"]), sorted(names))

        r = h.run_cli(["stream", "describe", "clicks"], url)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["name"], "clicks")

        r = h.run_cli(["stream", "describe", "nope"], url)
        self.assertEqual(r.returncode, 1)
        self.assertIn("404", r.stderr.decode())

        r = h.run_cli(["stream", "drop", "inferred"], url)
        self.assertEqual(r.returncode, 0, r.stderr)
        status, _, _ = self.server.json("GET", "/v1/streams/inferred")
        self.assertEqual(status, 404)
        r = h.run_cli(["stream", "drop", "inferred"], url)
        self.assertEqual(r.returncode, 1, "dropping a missing stream is refused")

        dead = f"http://127.0.0.1:{free_port()}"
        r = h.run_cli(["stream", "list"], dead)
        self.assertEqual(r.returncode, 2, f"no server at {dead}: a connection error exits 2 ({r.stderr})")
        self.assertTrue(r.stderr.strip(), "a connection error must be explained")

    def test_ingest_ndjson_csv_and_stdin_then_tail(self):
        s = self.server
        url = s.url
        s.create_stream("loads", SCHEMA)
        expected = []

        events = [event(i) for i in range(5)]
        path = self.write("five.ndjson", "".join(json.dumps(e) + "\n" for e in events))
        r = h.run_cli(["ingest", "loads", path, "--no-progress"], url)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout.decode(), r"(?m)^5 events accepted, 0 rejected")
        expected += events

        csv_text = ("user_id,url,ts\n"
                    "100,/plain,2024-05-01T00:00:00Z\n"
                    '101,"/with,comma and ""quotes""",2024-05-01T00:00:01Z\n'
                    "102,,\n"
                    "103,/unicode/é☃,2024-05-01T00:00:03+02:00\n")
        path = self.write("rows.csv", csv_text)
        r = h.run_cli(["ingest", "loads", path, "--no-progress"], url)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout.decode(), r"(?m)^4 events accepted, 0 rejected")
        expected += [
            {"user_id": 100, "url": "/plain", "ts": "2024-05-01T00:00:00Z"},
            {"user_id": 101, "url": '/with,comma and "quotes"', "ts": "2024-05-01T00:00:01Z"},
            {"user_id": 102, "url": None, "ts": None},
            {"user_id": 103, "url": "/unicode/é☃", "ts": "2024-05-01T00:00:03+02:00"},
        ]
        path = self.write("rows.txt", "user_id,url,ts\n104,/forced,2024-05-01T00:00:04Z\n")
        r = h.run_cli(["ingest", "loads", path, "--format", "csv", "--no-progress"], url)
        self.assertEqual(r.returncode, 0, r.stderr)
        expected.append({"user_id": 104, "url": "/forced", "ts": "2024-05-01T00:00:04Z"})

        stdin_events = [event(i) for i in range(200, 203)]
        r = h.run_cli(["ingest", "loads", "-", "--no-progress"], url,
                      input="".join(json.dumps(e) + "\n" for e in stdin_events).encode())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout.decode(), r"(?m)^3 events accepted, 0 rejected")
        expected += stdin_events

        # Rejections: exit 1, FILE:LINE in the report, the good lines still stored.
        lines = [json.dumps(event(300)), '{"user_id":"three hundred one"}', json.dumps(event(302))]
        path = self.write("some_bad.ndjson", "\n".join(lines) + "\n")
        r = h.run_cli(["ingest", "loads", path, "--no-progress"], url)
        self.assertEqual(r.returncode, 1, "ingest exits 1 when anything was rejected")
        self.assertRegex(r.stdout.decode(), r"(?m)^2 events accepted, 1 rejected")
        self.assertIn("some_bad.ndjson:2", r.stderr.decode())
        expected += [event(300), event(302)]
        path = self.write("bad.csv", "user_id,url,ts\nnot-a-number,/x,2024-05-01T00:00:00Z\n105,/y,2024-05-01T00:00:00Z\n")
        r = h.run_cli(["ingest", "loads", path, "--no-progress"], url)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertRegex(r.stdout.decode(), r"(?m)^1 events accepted, 1 rejected")
        expected.append({"user_id": 105, "url": "/y", "ts": "2024-05-01T00:00:00Z"})

        r = h.run_cli(["ingest", "loads", self.tmp_path("missing.ndjson"), "--no-progress"], url)
        self.assertEqual(r.returncode, 2, "a missing file is a usage error")
        r = h.run_cli(["ingest", "no_such_stream", path, "--no-progress"], url)
        self.assertNotEqual(r.returncode, 0, "ingest into an unknown stream must fail")

        self.assert_events(s.read_events("loads"), expected)

        r = h.run_cli(["stream", "tail", "loads"], url)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_events(h.parse_ndjson(r.stdout), expected)
        r = h.run_cli(["stream", "tail", "loads", "--from", "4", "--limit", "3"], url)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_events(h.parse_ndjson(r.stdout), expected[4:7], first_offset=4)
        r = h.run_cli(["stream", "tail", "loads", "--from", str(len(expected))], url)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, b""), "tail from the end prints nothing")

    def test_tail_follow_sees_a_later_event(self):
        s = self.server
        s.create_stream("follow", SCHEMA)
        status, reply, _ = s.post_events("follow", json.dumps(event(1)) + "\n")
        self.assertEqual(status, 200, reply)
        proc = subprocess.Popen([h.binary(), "stream", "tail", "follow", "--follow", "--url", s.url],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=h.clean_env())
        lines = queue.Queue()

        def pump():
            for line in proc.stdout:
                lines.put(line)

        threading.Thread(target=pump, daemon=True).start()
        try:
            first = json.loads(lines.get(timeout=20))
            self.assertEqual((first["_offset"], first["user_id"]), (0, 1))
            time.sleep(1.0)  # the follower is now waiting for new events
            self.assertIsNone(proc.poll(), "--follow must keep running")
            status, reply, _ = s.post_events("follow", json.dumps(event(2)) + "\n")
            self.assertEqual(status, 200, reply)
            try:
                second = json.loads(lines.get(timeout=20))
            except queue.Empty:
                self.fail("tail --follow did not print an event posted after it started")
            self.assertEqual((second["_offset"], second["user_id"]), (1, 2))
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def run_server_expecting_failure(self, args, env=None, timeout=30):
        """Runs `lagoa server ARGS` that must exit by itself; returns (code, stderr)."""
        data_dir = self.tmp_path("cfg-data")
        os.makedirs(data_dir, exist_ok=True)
        cmd = [h.binary(), "server"] + args
        try:
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=h.clean_env(env),
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            self.fail(f"`{' '.join(cmd)}` kept running; it should have refused its configuration")
        return r.returncode, r.stderr.decode()

    def test_config_errors_name_the_key(self):
        data_dir = self.tmp_path("cfg-data")
        base = ["--data-dir", data_dir, "--http", "127.0.0.1:0"]
        code, err = self.run_server_expecting_failure(base, env={"LAGOA_DURABILITY": "fast"})
        self.assertEqual(code, 2, err)
        self.assertIn("durability", err)
        self.assertIn("LAGOA_DURABILITY", err, "the message should say where the value came from")

        code, err = self.run_server_expecting_failure(base + ["--max-body-bytes", "lots"])
        self.assertEqual(code, 2, err)
        self.assertIn("max_body_bytes", err)

        code, err = self.run_server_expecting_failure(base + ["--log-level", "chatty"])
        self.assertEqual(code, 2, err)
        self.assertIn("log_level", err)

        config = self.write("bad.yaml", "# lagoa\ndurability: fast\n")
        code, err = self.run_server_expecting_failure(base + ["--config", config])
        self.assertEqual(code, 2, err)
        self.assertIn("durability", err)
        self.assertIn("bad.yaml", err)

        config = self.write("unknown.yaml", "no_such_key: 1\n")
        code, err = self.run_server_expecting_failure(base + ["--config", config])
        self.assertEqual(code, 2, err)
        self.assertIn("no_such_key", err)

        code, err = self.run_server_expecting_failure(base + ["--config", self.tmp_path("absent.yaml")])
        self.assertEqual(code, 2, err)
        self.assertIn("absent.yaml", err)

    def test_config_precedence_flag_over_env_over_file(self):
        """max_body_bytes is observable: a body between two limits tells which one is in force."""
        config = self.write("limits.yaml", "max_body_bytes: 2048\n")
        line = (json.dumps(event(1)) + "\n").encode()
        body_3k = line * (3000 // len(line) + 1)
        body_5k = line * (5000 // len(line) + 1)
        cases = [
            ("file only", ["--config", config], {}, {body_3k: 413, body_5k: 413}),
            ("env over file", ["--config", config], {"LAGOA_MAX_BODY_BYTES": "4096"}, {body_3k: 200, body_5k: 413}),
            ("flag over env", ["--config", config, "--max-body-bytes", "8192"], {"LAGOA_MAX_BODY_BYTES": "4096"},
             {body_3k: 200, body_5k: 200}),
            ("LAGOA_CONFIG names the file", [], {"LAGOA_CONFIG": config}, {body_3k: 413}),
        ]
        for label, args, env, expectations in cases:
            with self.subTest(case=label):
                s = self.start_server(args, env=env)
                s.create_stream("prec", SCHEMA)
                for body, want in expectations.items():
                    status, _, reply = h.post_raw(s.port, "/v1/streams/prec/events",
                                                  {"Content-Type": "application/x-ndjson",
                                                   "Content-Length": str(len(body))}, body, early_wait_s=0.5)
                    self.assertEqual(status, want, f"{label}: {len(body)}-byte body: {reply[:300]!r}")
                code, _, killed = s.stop()
                self.assertEqual((code, killed), (0, False), s.stderr_tail())

    def test_second_server_on_same_data_dir_is_refused(self):
        first = self.server
        code, err = self.run_server_expecting_failure(
            ["--data-dir", first.data_dir, "--http", "127.0.0.1:0"] + h.SERVER_TEST_FLAGS)
        self.assertNotEqual(code, 0, err)
        self.assertRegex(err.lower(), r"in use|locked", f"the message should say the directory is in use: {err}")
        self.assertIn(os.path.basename(first.data_dir), err, "the message should name the directory")
        self.assert_healthy(first, "the first server must be unaffected")


if __name__ == "__main__":
    h.main()
