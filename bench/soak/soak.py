"""The soak (issue 13, section 4): one lagoa server under steady ingest at a fraction of the highest
rate it sustains on the same machine (events acknowledged and loaded into the lake without the
lake falling further behind, measured first in steps), with the lake loader, compaction and a SQL
query mix running, for an hour. Reports per window (5 minutes by default): the events/s
acknowledged, ingest acknowledgement latency p50/p99 (the load generator's histogram), SQL
latency p50/p99, errors of either, and the server's RSS; and the RSS drift from the second
window (the first warms up) to the last. Per window also what glibc malloc's heap holds at its end
(in use, and freed but kept) and the heap trims in it (src/server/heap_trimmer.h); at the end the
idle RSS, once ingest and queries have stopped and the lake has caught up.

Usage: bench/soak/run.sh (builds first), or
  python3 bench/soak/soak.py --lagoa build/release/src/cli/lagoa \
      --generator build/release/bench/lagoa_load_generator [--minutes 60] [--fraction 0.8]

Standard library only. The data directory is temporary (the server's log is kept beside it, named
in the summary); the log keeps at most
--retention-bytes per partition (offsets the lake has not loaded are kept regardless), so an
hour fits on a small disk."""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

STREAM = "soak"
QUERIES = [
    # the live tail and the lake together
    f"SELECT count(*) FROM {STREAM}",
    # a recent slice, grouped
    f"SELECT url, count(*) AS n FROM {STREAM} WHERE _ingested_at > now() - INTERVAL 1 MINUTE GROUP BY url ORDER BY n DESC LIMIT 10",
    # the lake table alone (history), aggregated
    f"SELECT country, avg(duration_ms) FROM {STREAM} WHERE _offset < 1000000 GROUP BY country",
]


def http(port, method, path, body=None, content_type="application/json", timeout=60):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body.encode() if body else None,
                                     method=method, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def ingested(port):
    """Events the stream's log holds, over its partitions."""
    _, body = http(port, "GET", f"/v1/streams/{STREAM}")
    return sum(p["next_offset"] for p in json.loads(body)["partitions"])


def loaded(port):
    """Events the lake table holds: each partition's loader commits its last offset as a txn."""
    status, body = http(port, "GET", f"/v1/tables/{STREAM}")
    if status != 200:
        return 0
    apps = json.loads(body).get("applications", {})
    return sum(v + 1 for k, v in apps.items() if k.startswith(f"lagoa:{STREAM}:"))


def heap_metrics(port):
    """(in-use bytes, free bytes, walks, seconds walking) from /metrics; zeros where absent (the
    trimmer off, or before its first check)."""
    _, body = http(port, "GET", "/metrics")
    values = {}
    for line in body.splitlines():
        m = re.match(r'^(lagoa_heap_bytes\{state="(\w+)"\}|lagoa_heap_trims_total|lagoa_heap_trim_seconds_sum) (\S+)$',
                     line)
        if m:
            values[m.group(2) or m.group(1)] = float(m.group(3))
    return (values.get("in_use", 0), values.get("free", 0), values.get("lagoa_heap_trims_total", 0),
            values.get("lagoa_heap_trim_seconds_sum", 0))


def free_disk_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class QueryMix(threading.Thread):
    """Runs QUERIES in turn, one at a time with `pause_s` between them; keeps (time, ms, ok)."""

    def __init__(self, port, pause_s):
        super().__init__(daemon=True)
        self.port, self.pause_s = port, pause_s
        self.samples = []
        self.errors = []
        self.stop = threading.Event()

    def run(self):
        i = 0
        while not self.stop.is_set():
            sql = QUERIES[i % len(QUERIES)]
            t0 = time.monotonic()
            try:
                status, body = http(self.port, "POST", "/v1/sql", sql, "text/plain", timeout=120)
            except OSError as e:
                status, body = 0, str(e)
            ms = (time.monotonic() - t0) * 1000
            self.samples.append((time.monotonic(), ms, status == 200))
            if status != 200:
                self.errors.append(f"{status} {body[:200]}")
            i += 1
            self.stop.wait(self.pause_s)


class RssSampler(threading.Thread):
    def __init__(self, pid, every_s):
        super().__init__(daemon=True)
        self.pid, self.every_s = pid, every_s
        self.samples = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                self.samples.append((time.monotonic(), rss_bytes(self.pid)))
            except OSError:
                return
            self.stop.wait(self.every_s)


def wait_for_lake(port, timeout_s, exit_on_timeout=True):
    """Waits until the lake holds every event ingested so far; False if it did not in time."""
    target, deadline = ingested(port), time.monotonic() + timeout_s
    while loaded(port) < target:
        if time.monotonic() > deadline:
            if exit_on_timeout:
                sys.exit(f"[soak] the loader did not load {target:,} events within {timeout_s} s")
            return False
        time.sleep(1)
    return True


def step_lag(args, port, rate):
    """Ingests at `rate` for --step-seconds; the lake's lowest lag in the step's middle and last
    thirds (sampled every second)."""
    runner = threading.Thread(target=run_generator, args=(args, port, args.step_seconds, rate))
    t0 = time.monotonic()
    runner.start()
    samples = []
    while runner.is_alive():
        samples.append((time.monotonic() - t0, ingested(port) - loaded(port)))
        time.sleep(1)
    runner.join()
    third = args.step_seconds / 3
    middle = [lag for t, lag in samples if third <= t < 2 * third]
    last = [lag for t, lag in samples if t >= 2 * third]
    return min(middle or [0]), min(last or [0])


def run_generator(args, port, seconds, rate):
    cmd = [args.generator, "http", "--url", f"http://127.0.0.1:{port}", "--stream", STREAM, "--seconds",
           str(seconds), "--connections", str(args.connections), "--batch", str(args.batch)]
    if rate:
        cmd += ["--rate", str(int(rate))]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        sys.exit(f"the load generator printed no report: {out.stdout}\n{out.stderr}")
    return json.loads(lines[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lagoa", required=True)
    parser.add_argument("--generator", required=True)
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--window-minutes", type=float, default=5)
    parser.add_argument("--fraction", type=float, default=0.8)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--retention-bytes", default="2GiB")
    parser.add_argument("--query-pause-s", type=float, default=1.0)
    parser.add_argument("--peak-seconds", type=float, default=30)
    parser.add_argument("--drain-timeout-s", type=float, default=900)
    # Soak 6 (bench/RESULTS.md): a 180 s step with 5 s of slack took a rate at which the lake fell
    # behind by 4 % of the events for one that holds; at 80 % of it the lag still grew every minute.
    parser.add_argument("--step-seconds", type=float, default=300)
    parser.add_argument("--step-slack-s", type=float, default=1)
    parser.add_argument("--steps-max", type=int, default=8)
    parser.add_argument("--rate", type=float, default=0,
                        help="events/s to soak at, skipping the full-speed run and the steps (a rate they found "
                             "before on this machine)")
    parser.add_argument("--idle-seconds", type=float, default=60,
                        help="after the soak: how long to wait, once the lake has caught up, before reading the idle RSS")
    parser.add_argument("--free-disk-min-gib", type=float, default=8)
    parser.add_argument("--server-args", default="", help="more flags for `lagoa server`, space-separated")
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="lagoa-soak-")
    server_log = open(data + ".server.log", "w")  # kept after the data directory is removed
    cmd = [args.lagoa, "server", "--data-dir", os.path.join(data, "d"), "--http", "127.0.0.1:0", "--pg", "127.0.0.1:0",
           "--lake-load-interval-ms", "10000", "--lake-maintenance-interval-ms", "120000",
           "--retention-max-bytes", args.retention_bytes] + args.server_args.split()
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=server_log, text=True)
    port = None
    for line in server.stdout:
        m = re.match(r"lagoa is ready: http://127\.0\.0\.1:(\d+)", line)
        if m:
            port = int(m.group(1))
            break
    if port is None:
        sys.exit("the server did not start; see " + server_log.name)
    try:
        schema = subprocess.run([args.generator, "schema"], stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
        status, body = http(port, "PUT", f"/v1/streams/{STREAM}",
                            json.dumps({"schema": schema, "partitions": args.partitions, "event_time": "ts"}))
        if status not in (200, 201):
            sys.exit(f"creating the stream: {status} {body}")
        queries = QueryMix(port, args.query_pause_s)
        rss = RssSampler(server.pid, 5.0)
        queries.start()
        rss.start()

        # The highest rate the node sustains, loader and queries included. Ingest alone goes faster
        # than the loader can follow with queries running, and retention keeps what the lake has not
        # loaded, so a soak at the ingest peak would only grow the log until the disk fills. First a
        # bound: ingest at full speed for --peak-seconds, then the time until the lake holds all of
        # it (events per second end to end). Then steps of --step-seconds at a rate, starting at that
        # bound: a rate is sustained when the lake's lag, at its lowest (right after a load), is no
        # higher in the step's last third than in its middle third plus --step-slack-s seconds of
        # events (the first third starts from a lake that has caught up); if not, the next step
        # tries 85 % of it, after the lake has caught up again.
        peak, end_to_end, sustained = None, None, None
        if args.rate:
            rate = args.rate
            print(f"[soak] soaking at the given rate: {rate:,.0f} events/s for {args.minutes:g} min", flush=True)
        else:
            loaded_before, t0 = loaded(port), time.monotonic()
            peak = run_generator(args, port, args.peak_seconds, 0)
            wait_for_lake(port, args.drain_timeout_s)
            end_to_end = (loaded(port) - loaded_before) / (time.monotonic() - t0)
            print(f"[soak] full speed for {args.peak_seconds:g} s with the loader, compaction and queries running: "
                  f"{peak['events_per_s']:,} events/s ingested; all of them in the lake after "
                  f"{time.monotonic() - t0:.0f} s: "
                  f"{end_to_end:,.0f} events/s end to end", flush=True)
            sustained = None
            step_rate = min(peak["events_per_s"], end_to_end)
            for _ in range(args.steps_max):
                lowest_middle, lowest_last = step_lag(args, port, step_rate)
                held = lowest_last <= lowest_middle + args.step_slack_s * step_rate
                print("[soak] step " + json.dumps({"rate": round(step_rate), "lag_low_middle_third": lowest_middle,
                                                    "lag_low_last_third": lowest_last, "held": held}), flush=True)
                if held:
                    sustained = step_rate
                    break
                step_rate *= 0.85
                wait_for_lake(port, args.drain_timeout_s)
            if sustained is None:
                sys.exit(f"[soak] no rate held in {args.steps_max} steps")
            wait_for_lake(port, args.drain_timeout_s)
            rate = args.fraction * sustained
            print(f"[soak] soaking at {args.fraction:.0%} of {sustained:,.0f}: {rate:,.0f} events/s "
                  f"for {args.minutes:g} min",
                  flush=True)

        windows = []
        heap_before = heap_metrics(port)
        windows_count = max(1, round(args.minutes / args.window_minutes))
        for w in range(windows_count):
            if free_disk_bytes(data) < args.free_disk_min_gib * 2**30:
                sys.exit(f"[soak] stopped: less than {args.free_disk_min_gib} GiB free (the loader fell behind?)")
            t0 = time.monotonic()
            report = run_generator(args, port, args.window_minutes * 60, rate)
            t1 = time.monotonic()
            q = [(ms, ok) for (t, ms, ok) in queries.samples if t0 <= t < t1]
            r = [b for (t, b) in rss.samples if t0 <= t < t1]
            heap = heap_metrics(port)
            windows.append({
                "window": w + 1,
                "events_per_s": report["events_per_s"],
                "ingest_p50_ms": report["latency_ms"]["p50"],
                "ingest_p99_ms": report["latency_ms"]["p99"],
                "ingest_not_ok": sum(report["not_ok"].values()) + sum(report["errors"].values()),
                "queries": len(q),
                "query_p50_ms": percentile([ms for ms, _ in q], 0.50),
                "query_p99_ms": percentile([ms for ms, _ in q], 0.99),
                "query_errors": sum(1 for _, ok in q if not ok),
                "rss_mean_mib": statistics.mean(r) / 2**20 if r else None,
                "rss_max_mib": max(r) / 2**20 if r else None,
                "lake_lag_events": ingested(port) - loaded(port),
                "heap_in_use_mib": heap[0] / 2**20,
                "heap_free_mib": heap[1] / 2**20,
                "heap_trims": heap[2] - heap_before[2],
                "heap_trim_s": round(heap[3] - heap_before[3], 3),
            })
            heap_before = heap
            print("[soak] " + json.dumps(windows[-1]), flush=True)
        queries.stop.set()
        queries.join()
        lake_caught_up = wait_for_lake(port, args.drain_timeout_s, exit_on_timeout=False)
        time.sleep(args.idle_seconds)
        idle_rss_mib = rss_bytes(server.pid) / 2**20
        idle_heap = heap_metrics(port)
        rss.stop.set()
        # The first window warms up (the tail cache, DuckDB's buffers fill): drift is from the second.
        first = windows[1 if len(windows) > 1 else 0]["rss_mean_mib"]
        last = windows[-1]["rss_mean_mib"]
        drift = (last - first) / first if first else None
        with open(server_log.name) as f:
            logged_errors = [line for line in f if " error " in line or " critical " in line]
        summary = {
            "peak_events_per_s": peak["events_per_s"] if peak else None,
            "end_to_end_events_per_s": round(end_to_end) if end_to_end else None,
            "sustained_events_per_s": round(sustained) if sustained else None, "rate_events_per_s": round(rate),
            "windows": len(windows), "rss_drift": drift, "lake_caught_up": lake_caught_up,
            "idle_rss_mib": round(idle_rss_mib),
            "idle_heap_in_use_mib": round(idle_heap[0] / 2**20), "idle_heap_free_mib": round(idle_heap[1] / 2**20), "ingest_not_ok": sum(w["ingest_not_ok"] for w in windows),
            "query_errors": len(queries.errors), "server_error_lines": len(logged_errors),
            "server_log": server_log.name,
            "disk_bytes": sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(data) for f in files),
        }
        print("[soak] summary " + json.dumps(summary), flush=True)
        for e in queries.errors[:5] + logged_errors[:5]:
            print("[soak] error: " + e.strip(), flush=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
