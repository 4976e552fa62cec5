"""Idempotency keys: a retry of POST /v1/streams/NAME/events with the Idempotency-Key of a request
that became durable appends nothing and answers the first request's offsets — across SIGKILLs and
for dead letters too — so a producer that retries after a lost acknowledgement stores each event
exactly once."""

import json
import random
import subprocess
import threading
import time

import lagoa_harness as h

SCHEMA = "id BIGINT NOT NULL, note VARCHAR"


def events(ids, bad=()):
    lines = [json.dumps({"id": i, "note": f"n{i}"}) for i in ids]
    lines += [json.dumps({"id": f"not a number {b}"}) for b in bad]
    return "".join(line + "\n" for line in lines)


def post(server, stream, body, key):
    return server.post_events(stream, body, headers={"Idempotency-Key": key} if key else None)


def sql_rows(server, text):
    status, parsed, _ = server.json("POST", "/v1/sql", text, {"Content-Type": "text/plain"})
    assert status == 200, parsed
    return parsed["rows"]


class IdempotencyTest(h.ServerTestCase):
    start_class_server = False

    def test_a_retry_with_the_same_key_appends_nothing_across_a_sigkill(self):
        server = self.start_server(data_dir=self.tmp_path("data"))
        server.create_stream("orders", SCHEMA, partitions=3)
        status, first, _ = post(server, "orders", events(range(5), bad=[1]), "batch-1")
        self.assertEqual(status, 200, first)
        self.assertEqual((first["accepted"], first["rejected"], first["duplicate"]), (5, 1, False), first)
        status, retry, _ = post(server, "orders", events(range(5), bad=[1]), "batch-1")
        self.assertEqual(status, 200, retry)
        self.assertTrue(retry["duplicate"], retry)
        for field in ("partition", "first_offset", "last_offset", "accepted"):
            self.assertEqual(retry[field], first[field], (first, retry))
        status, other, _ = post(server, "orders", events(range(5, 7)), "batch-2")
        self.assertEqual((status, other["duplicate"], other["accepted"]), (200, False, 2), other)

        server.kill()
        server.start()
        status, after, _ = post(server, "orders", events(range(5), bad=[1]), "batch-1")
        self.assertEqual(status, 200, after)
        self.assertTrue(after["duplicate"], after)
        self.assertEqual((after["partition"], after["first_offset"]), (first["partition"], first["first_offset"]))
        self.assertEqual(sql_rows(server, "SELECT count(*), count(DISTINCT id) FROM orders"), [[7, 7]])
        self.assertEqual(sql_rows(server, 'SELECT count(*) FROM "orders.dlq"'), [[1]],
                         "the retry stored its rejected line again")

    def test_keys_are_checked(self):
        server = self.start_server()
        server.create_stream("k", SCHEMA)
        for key in ("has space", "x" * 256, "caf\u00e9"):
            headers = {"Idempotency-Key": key.encode("utf-8")}
            status, reply, _ = server.post_events("k", events([1]), headers=headers)
            self.assertEqual(status, 400, (key, reply))
            self.assertIn("idempotency key", reply["error"])
        self.assertEqual(sql_rows(server, "SELECT count(*) FROM k"), [[0]])

    def test_retrying_producers_under_sigkills_store_every_event_once(self):
        """The issue's probe: without keys, SIGKILLs under retrying producers doubled 1,000 events."""
        server = self.start_server(data_dir=self.tmp_path("data"))
        server.create_stream("clicks", SCHEMA, partitions=2)
        port = {"value": server.port}
        producers, batches, per_batch = 4, 150, 50
        finished = []
        errors = []
        retries = {"count": 0}

        def produce(p):
            try:
                for b in range(batches):
                    first = (p * batches + b) * per_batch
                    body = events(range(first, first + per_batch))
                    while True:
                        try:
                            status, _, _ = h.http_request(port["value"], "POST", "/v1/streams/clicks/events", body,
                                                          {"Content-Type": "application/x-ndjson",
                                                           "Idempotency-Key": f"producer-{p}-batch-{b}"}, timeout=5)
                            if status == 200:
                                break
                        except OSError:
                            pass  # the server is down, or died before answering: retry, as a producer would
                        retries["count"] += 1
                        time.sleep(0.01)
            except Exception as e:  # noqa: BLE001 - reported by the test thread
                errors.append(e)
            finally:
                finished.append(p)

        threads = [threading.Thread(target=produce, args=(p,), daemon=True) for p in range(producers)]
        for t in threads:
            t.start()
        rng = random.Random(h.SEED)
        kills = 0
        while kills < 8 and len(finished) < producers:
            time.sleep(rng.uniform(0.02, 0.15))
            server.kill()
            server.start()
            port["value"] = server.port
            kills += 1
        for t in threads:
            t.join(120)
        self.assertEqual(len(finished), producers, "a producer did not finish")
        self.assertEqual(errors, [])
        total = producers * batches * per_batch
        self.assertEqual(sql_rows(server, "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM clicks"),
                         [[total, total, 0, total - 1]], f"after {kills} kills and {retries['count']} retries")

    def test_lagoa_ingest_rides_out_server_restarts_without_doubling(self):
        server = self.start_server(data_dir=self.tmp_path("data"))
        server.http = f"127.0.0.1:{server.port}"  # restarts keep the URL the CLI was given
        server.create_stream("cli", SCHEMA)
        total = 60_000
        path = self.tmp_path("events.ndjson")
        with open(path, "w") as f:
            f.write(events(range(total)))
        cli = subprocess.Popen([h.binary(), "ingest", "cli", path, "--batch-events", "200", "--url", server.url],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=h.clean_env())
        # The CLI retries a server that answered it before; one that never answered is an error.
        deadline = time.monotonic() + 60
        while cli.poll() is None and time.monotonic() < deadline:
            status, described, _ = server.json("GET", "/v1/streams/cli")
            if status == 200 and described["events"] > 0:
                break
            time.sleep(0.01)
        rng = random.Random(h.SEED)
        kills = 0
        while kills < 4 and cli.poll() is None:
            time.sleep(rng.uniform(0.05, 0.2))
            server.kill()
            time.sleep(rng.uniform(0.0, 0.3))  # the CLI finds nobody there for a moment
            server.start()
            kills += 1
        out, err = cli.communicate(timeout=120)
        self.assertEqual(cli.returncode, 0, err)
        self.assertGreater(kills, 0, "the CLI finished before the first kill: nothing was tested")
        self.assertEqual(sql_rows(server, "SELECT count(*), count(DISTINCT id) FROM cli"), [[total, total]],
                         f"after {kills} kills: {out} {err}")


if __name__ == "__main__":
    h.main()
