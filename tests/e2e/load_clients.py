"""Client threads that post batches to a lagoa server that may die at any moment, and the
bookkeeping to check afterwards that every acknowledged event survived exactly once.

Rules the clients follow (what makes the final check exact):
- each client c sends ids c * ID_SPACE + 0, 1, 2, … in increasing order, one request at a time;
- a batch is sent at most once: whatever happens to it, the next request carries new ids;
- a batch is *acknowledged* only when a complete 200 reply arrived; a batch that got another
  answer (429, 507, …) is *refused*; a batch that got no answer is *unanswered*;
- some batches carry bad lines (unique raw text) that must end up in the dead-letter stream.
"""

import http.client
import json
import random
import threading
import time

ID_SPACE = 1_000_000_000
SCHEMA = "id BIGINT NOT NULL, client INTEGER, payload VARCHAR"


def payload_for(event_id):
    return f"p{event_id}-" + "x" * (event_id % 41)


def client_of(event_id):
    return event_id // ID_SPACE


class ServerRef:
    """Where the server currently listens; clients wait while it is down."""

    def __init__(self):
        self._lock = threading.Lock()
        self._up = threading.Event()
        self.port = None
        self.generation = 0

    def set_up(self, port):
        with self._lock:
            self.port = port
            self.generation += 1
        self._up.set()

    def set_down(self):
        self._up.clear()

    def wait_up(self, timeout):
        if not self._up.wait(timeout):
            return None
        with self._lock:
            return self.port, self.generation


class Batch:
    __slots__ = ("client", "number", "ids", "bad", "state", "status", "first_offset", "last_offset", "detail")

    def __init__(self, client, number, ids, bad):
        self.client = client
        self.number = number
        self.ids = ids          # good ids, in line order
        self.bad = bad          # [(line number, raw text)]
        self.state = "unsent"   # acked | refused | unanswered
        self.status = None
        self.first_offset = self.last_offset = None
        self.detail = ""


class LoadClient(threading.Thread):
    def __init__(self, client_id, ref, stream, seed, stop, batch_events=50, bad_fraction=0.2,
                 timeout_s=60.0, big_batch_events=1000, big_fraction=0.05):
        super().__init__(daemon=True, name=f"load-client-{client_id}")
        self.client_id = client_id
        self.ref = ref
        self.stream = stream
        self.rng = random.Random(seed * 1000 + client_id)
        self.stop = stop
        self.batch_events = batch_events
        self.bad_fraction = bad_fraction
        # Now and then a big batch: a larger write for a kill to tear.
        self.big_batch_events = big_batch_events
        self.big_fraction = big_fraction
        self.timeout_s = timeout_s
        self.next_seq = 0
        self.batches = []
        self.violations = []    # replies that contradict the contract, checked by the test
        self.acked_events = 0
        self.acked_by_generation = {}
        self.lock = threading.Lock()
        self._conn = None
        self._conn_key = None

    def _connection(self, port, generation):
        if self._conn is None or self._conn_key != (port, generation):
            self._close()
            self._conn = http.client.HTTPConnection("127.0.0.1", port, timeout=self.timeout_s)
            self._conn_key = (port, generation)
        return self._conn

    def _close(self):
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
        self._conn = None

    def _make_batch(self):
        count = self.big_batch_events if self.rng.random() < self.big_fraction else self.batch_events
        ids = [self.client_id * ID_SPACE + self.next_seq + i for i in range(count)]
        self.next_seq += count
        lines = [json.dumps({"id": i, "client": self.client_id, "payload": payload_for(i)}, separators=(",", ":"))
                 for i in ids]
        number = len(self.batches)
        bad = []
        if self.rng.random() < self.bad_fraction:
            tag = f"c{self.client_id}-b{number}"
            bad_lines = [f'{{"id":"not-a-number-{tag}","client":{self.client_id}}}',
                         f'{{"id":{tag} this is not json'][: self.rng.randint(1, 2)]
            for raw in bad_lines:
                lines.insert(self.rng.randint(0, len(lines)), raw)
            bad = [(n + 1, raw) for n, raw in enumerate(lines) if raw in bad_lines]
        batch = Batch(self.client_id, number, ids, bad)
        with self.lock:
            self.batches.append(batch)
        return batch, ("\n".join(lines) + "\n").encode()

    def _check_reply(self, batch, reply):
        want = (len(batch.ids), len(batch.bad))
        got = (reply.get("accepted"), reply.get("rejected"))
        if got != want:
            self.violations.append(f"batch {batch.client}/{batch.number}: accepted/rejected {got}, expected {want}")
        first, last = reply.get("first_offset"), reply.get("last_offset")
        if not (isinstance(first, int) and isinstance(last, int) and last - first + 1 == len(batch.ids)):
            self.violations.append(f"batch {batch.client}/{batch.number}: offsets {first}..{last} for {len(batch.ids)} events")
        if reply.get("partition") != 0:
            self.violations.append(f"batch {batch.client}/{batch.number}: partition {reply.get('partition')}")
        lines = [e.get("line") for e in reply.get("errors", [])]
        if lines != [n for n, _ in batch.bad]:
            self.violations.append(f"batch {batch.client}/{batch.number}: error lines {lines}, expected {[n for n, _ in batch.bad]}")
        batch.first_offset, batch.last_offset = first, last

    def run(self):
        path = f"/v1/streams/{self.stream}/events"
        while not self.stop.is_set():
            where = self.ref.wait_up(0.2)
            if where is None:
                continue
            port, generation = where
            batch, body = self._make_batch()
            try:
                conn = self._connection(port, generation)
                conn.request("POST", path, body, {"Content-Type": "application/x-ndjson"})
                resp = conn.getresponse()
                data = resp.read()
                batch.status = resp.status
                if resp.will_close:
                    self._close()
            except (OSError, http.client.HTTPException) as e:
                batch.state = "unanswered"
                batch.detail = type(e).__name__
                self._close()
                time.sleep(0.02)
                continue
            if batch.status == 200:
                try:
                    reply = json.loads(data)
                except ValueError:
                    self.violations.append(f"batch {batch.client}/{batch.number}: 200 with a non-JSON body {data[:200]!r}")
                    batch.state = "unanswered"
                    continue
                self._check_reply(batch, reply)
                batch.state = "acked"
                with self.lock:
                    self.acked_events += len(batch.ids)
                    self.acked_by_generation[generation] = self.acked_by_generation.get(generation, 0) + 1
            else:
                batch.state = "refused"
                batch.detail = data[:200].decode("utf-8", "replace")
                if batch.status not in (429, 503, 507):
                    self.violations.append(f"batch {batch.client}/{batch.number}: HTTP {batch.status} {batch.detail}")
                time.sleep(0.05)
        self._close()


def start_clients(ref, stream, seed, count=4, **kwargs):
    stop = threading.Event()
    clients = [LoadClient(c, ref, stream, seed, stop, **kwargs) for c in range(count)]
    for c in clients:
        c.start()
    return clients, stop


def stop_clients(clients, stop, timeout_s=120):
    stop.set()
    for c in clients:
        c.join(timeout_s)
    stuck = [c.name for c in clients if c.is_alive()]
    if stuck:
        raise AssertionError(f"client threads did not stop: {stuck}")


def acked_events(clients):
    return sum(c.acked_events for c in clients)


def acked_batches_in_generation(clients, generation):
    return sum(c.acked_by_generation.get(generation, 0) for c in clients)


def acked_batches_so_far(clients):
    """A snapshot of the acknowledged batches (safe while clients run)."""
    out = []
    for c in clients:
        with c.lock:
            out.extend(b for b in list(c.batches) if b.state == "acked")
    return out


class Verdict:
    """Compares what the server holds with what the clients were told."""

    def __init__(self, clients):
        self.batches = [b for c in clients for b in c.batches]
        self.acked = [b for b in self.batches if b.state == "acked"]
        self.refused = [b for b in self.batches if b.state == "refused"]
        self.unanswered = [b for b in self.batches if b.state == "unanswered"]
        self.violations = [v for c in clients for v in c.violations]

    def check_events(self, events):
        """Returns a list of problems (empty when the log is right) and a summary dict."""
        problems = list(self.violations)
        batch_of = {}
        for b in self.batches:
            for i in b.ids:
                batch_of[i] = b
        seen = {}
        last_per_client = {}
        for n, e in enumerate(events):
            if e.get("_offset") != n or e.get("_partition") != 0:
                problems.append(f"event #{n}: _offset {e.get('_offset')} _partition {e.get('_partition')}; offsets must be dense from 0")
                break
        for e in events:
            i = e.get("id")
            if i in seen:
                problems.append(f"id {i} at offsets {seen[i]} and {e.get('_offset')}")
                continue
            seen[i] = e.get("_offset")
            b = batch_of.get(i)
            if b is None:
                problems.append(f"offset {e.get('_offset')}: id {i} was never sent")
                continue
            if e.get("client") != b.client or e.get("payload") != payload_for(i):
                problems.append(f"offset {e.get('_offset')}: id {i} content changed: {e}")
            c = client_of(i)
            if c in last_per_client and last_per_client[c] >= i:
                problems.append(f"client {c}: id {i} at offset {e.get('_offset')} after id {last_per_client[c]}")
            last_per_client[c] = i
        missing = [i for b in self.acked for i in b.ids if i not in seen]
        if missing:
            problems.append(f"{len(missing)} acknowledged events lost, e.g. ids {missing[:10]}")
        for b in self.acked:
            if b.first_offset is None:
                continue
            at = events[b.first_offset:b.last_offset + 1] if b.last_offset < len(events) else []
            if [e.get("id") for e in at] != b.ids:
                problems.append(f"batch {b.client}/{b.number} acknowledged at offsets {b.first_offset}..{b.last_offset} "
                                f"but those offsets hold ids {[e.get('id') for e in at][:5]}…")
                if len(problems) > 50:
                    break
        refused_present = [i for b in self.refused for i in b.ids if i in seen]
        if refused_present:
            problems.append(f"{len(refused_present)} events of refused (non-200) requests are stored, e.g. {refused_present[:5]}")
        unanswered_ids = {i for b in self.unanswered for i in b.ids}
        summary = {
            "batches": len(self.batches),
            "acked_batches": len(self.acked),
            "refused_batches": len(self.refused),
            "unanswered_batches": len(self.unanswered),
            "acked_events": sum(len(b.ids) for b in self.acked),
            "unacked_events_sent": sum(len(b.ids) for b in self.refused + self.unanswered),
            "unacked_present": sum(1 for i in unanswered_ids if i in seen),
            "stored_events": len(events),
        }
        expected_total = summary["acked_events"] + summary["unacked_present"]
        if len(events) != expected_total and not problems:
            problems.append(f"{len(events)} events stored, expected acknowledged {summary['acked_events']} + "
                            f"unacknowledged present {summary['unacked_present']}")
        return problems, summary

    def check_dead_letters(self, dead):
        problems = []
        for n, d in enumerate(dead):
            if d.get("_offset") != n:
                problems.append(f"DLQ event #{n} has _offset {d.get('_offset')}")
                break
        raws = {}
        for d in dead:
            raw = d.get("raw")
            if raw in raws:
                problems.append(f"DLQ holds {raw!r} twice (offsets {raws[raw]} and {d.get('_offset')})")
            raws[raw] = d.get("_offset")
        acked_bad = {raw: line for b in self.acked for line, raw in b.bad}
        all_bad = {raw for b in self.batches for _, raw in b.bad}
        line_of = {d.get("raw"): d.get("line") for d in dead}
        missing = [raw for raw in acked_bad if raw not in raws]
        if missing:
            problems.append(f"{len(missing)} rejected lines of acknowledged requests missing from the DLQ, e.g. {missing[:3]}")
        wrong_line = [(raw, line, line_of[raw]) for raw, line in acked_bad.items() if raw in line_of and line_of[raw] != line]
        if wrong_line:
            problems.append(f"DLQ line numbers wrong, e.g. {wrong_line[:3]}")
        stray = [raw for raw in raws if raw not in all_bad]
        if stray:
            problems.append(f"DLQ holds lines never sent as bad: {stray[:3]}")
        if any(not d.get("error") for d in dead):
            problems.append("DLQ entries without an error")
        summary = {"dlq_events": len(dead), "dlq_acked": len(acked_bad),
                   "dlq_unacked_present": sum(1 for raw in raws if raw not in acked_bad)}
        return problems, summary
