#!/usr/bin/env python3
"""The query benchmark (bench/query/README.md), driven by bench/query/run.sh.

Phases, each printed with the load average when it starts and ends:
  1. lagoa server (fresh data dir), stream `events` created over HTTP (`lagoa stream create`),
     N generated events ingested over HTTP (`lagoa_query_datagen | lagoa ingest events -`, in
     shards), the lake loader committing them (wait until `lagoa table describe` counts N rows),
     the dimension table `users` made by POST /v1/sql (dim.sql).
  2. PostgreSQL 15 in a temp dir (run as the `postgres` user when we are root): the same rows by
     COPY from the generator's CSV, indexes on ts and user_id, users' primary key, VACUUM ANALYZE.
  3. Each query of queries/*.sql, unchanged, on (a) lagoa via POST /v1/sql (?format=csv),
     (b) DuckDB alone over the Parquet files the Delta log lists as active (lagoa_query_duckdb,
     same threads and memory limit as lagoa's engine), (c) PostgreSQL via psql (\\timing):
     warm-up runs, then timed repeats, median.
  4. Acknowledgement → visibility: steady background ingest into `events`, marker events one at a
     time, each followed by `SELECT count(*) FROM events WHERE event_id = X` until it is 1.
  5. pgbench point queries on `users` over the PostgreSQL protocol, lagoa and PostgreSQL,
     -M simple and -M extended.
Prints a report (markdown tables) at the end and writes raw results to WORK/results.json.
"""
import argparse
import http.client
import json
import math
import multiprocessing
import os
import pwd
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def loadavg():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def log(message):
    print(f"[{time.strftime('%H:%M:%S')} load {loadavg()}] {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def median(values):
    return statistics.median(values) if values else None


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


class Http:
    """One keep-alive HTTP/1.1 connection to lagoa."""

    def __init__(self, url, timeout_s=3600):
        parsed = urllib.parse.urlparse(url)
        self.conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout_s)

    def request(self, method, path, body=b"", headers=None):
        self.conn.request(method, path, body=body, headers=headers or {})
        reply = self.conn.getresponse()
        return reply.status, reply.read()

    def sql(self, text, fmt="json"):
        status, body = self.request("POST", f"/v1/sql?format={fmt}", text.encode(), {"Content-Type": "text/plain"})
        if status != 200:
            raise RuntimeError(f"POST /v1/sql answered {status}: {body[:500]!r}")
        return body


# ------------------------------------------------------------------------------------------ lagoa
class Lagoa:
    def __init__(self, args, work):
        self.args = args
        self.data = work / "lagoa"
        self.out = open(work / "lagoa.out", "w+")
        self.err = open(work / "lagoa.err", "w")
        cmd = [args.lagoa, "server", "--data-dir", str(self.data), "--http", "127.0.0.1:0", "--pg", "127.0.0.1:0",
               "--free-space-min-bytes", "0", "--free-space-min-percent", "0",
               "--lake-load-interval-ms", str(args.lake_load_interval_ms),
               "--lake-maintenance-interval-ms", "-1",
               "--sql-statement-timeout-ms", str(args.timeout_s * 1000)] + args.lagoa_arg
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=self.err)
        self.url = self.pg = None
        for _ in range(600):
            text = Path(work / "lagoa.out").read_text()
            m = re.search(r"^lagoa is ready: (\S+)", text, re.M)
            p = re.search(r"\(postgres: ([^:\s]+):(\d+)\)$", text, re.M)
            if m and p:
                self.url, self.pg = m.group(1), (p.group(1), int(p.group(2)))
                break
            if self.proc.poll() is not None:
                raise RuntimeError("lagoa exited: " + Path(work / "lagoa.err").read_text()[-2000:])
            time.sleep(0.1)
        if not self.url:
            raise RuntimeError("lagoa not ready after 60 s")
        log(f"lagoa ready at {self.url}, PostgreSQL protocol on {self.pg[0]}:{self.pg[1]} (pid {self.proc.pid})")

    def cli(self, *argv):
        return subprocess.run([self.args.lagoa, *argv, "--url", self.url], check=True, capture_output=True,
                              text=True).stdout

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def shard_ranges(events, shards):
    step = (events + shards - 1) // shards
    return [(1 + i * step, min(events, (i + 1) * step) + 1) for i in range(shards) if 1 + i * step <= events]


def load_lagoa(args, lagoa, work, results):
    schema = subprocess.run([args.datagen, "schema"], check=True, capture_output=True, text=True).stdout.strip()
    lagoa.cli("stream", "create", "events", "--schema", schema, "--event-time", "ts")
    log(f"stream events created: {schema}")
    start = time.monotonic()
    procs = []
    for a, b in shard_ranges(args.events, args.ingest_shards):
        gen = subprocess.Popen([args.datagen, "--events", str(args.events), "--from", str(a), "--to", str(b)],
                               stdout=subprocess.PIPE)
        ing = subprocess.Popen([args.lagoa, "ingest", "events", "-", "--no-progress", "--batch-events",
                                str(args.batch_events), "--url", lagoa.url], stdin=gen.stdout,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        gen.stdout.close()
        procs.append((gen, ing))
    for gen, ing in procs:
        out = ing.communicate()[0]
        if gen.wait() != 0 or ing.returncode != 0:
            raise RuntimeError(f"ingest failed ({ing.returncode}): {out[-2000:]}")
    ingest_s = time.monotonic() - start
    log(f"ingested {args.events:,} events over HTTP in {ingest_s:.1f} s = {args.events / ingest_s:,.0f} events/s "
        f"({args.ingest_shards} × `lagoa ingest`, batches of {args.batch_events})")
    rows = 0
    while True:
        described = json.loads(lagoa.cli("table", "describe", "events", "--json"))
        rows = described.get("rows") or 0
        if rows >= args.events:
            break
        if time.monotonic() - start > args.timeout_s * 20:
            raise RuntimeError(f"the lake holds {rows} rows after {time.monotonic() - start:.0f} s")
        time.sleep(1)
    loaded_s = time.monotonic() - start
    log(f"lake table events: {rows:,} rows in {described.get('files')} files, "
        f"{(described.get('size_bytes') or 0) / 1e6:,.1f} MB, version {described.get('version')}; "
        f"all loaded {loaded_s:.1f} s after the ingest started")
    results["lagoa_load"] = {"ingest_s": ingest_s, "events_per_s": args.events / ingest_s, "loaded_s": loaded_s,
                             "rows": rows, "files": described.get("files"), "size_bytes": described.get("size_bytes"),
                             "version": described.get("version")}
    Http(lagoa.url).sql((HERE / "dim.sql").read_text())
    log("dimension table users created through POST /v1/sql")


def time_lagoa_queries(args, lagoa, queries):
    http = Http(lagoa.url)
    out = {}
    for q in queries:
        sql = q.read_text()
        rows = None
        for _ in range(args.warmup):
            http.sql(sql, "csv")
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            body = http.sql(sql, "csv")
            times.append(time.perf_counter() - start)
            rows = body.count(b"\n") - 1
        out[q.stem] = {"seconds": times, "median": median(times), "rows": rows, "load": loadavg()}
        log(f"lagoa  {q.stem}: median {median(times):.3f} s of {['%.3f' % t for t in times]}, {rows} rows")
    return out


def time_duckdb_queries(args, lagoa, queries):
    threads = args.sql_threads or os.cpu_count()
    cmd = [args.duckdb, "--table", str(lagoa.data / "lake" / "events"), "--threads", str(threads),
           "--memory-limit", args.sql_memory_limit, "--dimension", f"users={lagoa.data / 'tables' / 'users'}",
           "--warmup", str(args.warmup), "--repeats", str(args.repeats)] + [str(q) for q in queries]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = {}
    for line in proc.stdout:
        item = json.loads(line)
        if "files" in item:
            log(f"DuckDB alone reads {item['files']} active Parquet files")
            out["_files"] = item["files"]
            continue
        item["load"] = loadavg()
        out[item["query"]] = item
        log(f"duckdb {item['query']}: median {item['median']:.3f} s of {['%.3f' % t for t in item['seconds']]}, "
            f"{item['rows']} rows")
    if proc.wait() != 0:
        raise RuntimeError("lagoa_query_duckdb failed")
    return out


# ------------------------------------------------------------------------------------- PostgreSQL
class Postgres:
    def __init__(self, args, work):
        self.args = args
        self.dir = work / "pg"
        self.dir.mkdir()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chmod(work, 0o755)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self.port = free_port()
        self.run([str(PG_BIN / "initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--locale", "C"], quiet=True)
        conf = {
            "port": self.port, "listen_addresses": "'127.0.0.1'", "unix_socket_directories": f"'{self.dir}'",
            "max_connections": 100, "shared_buffers": "'2GB'", "work_mem": "'256MB'",
            "maintenance_work_mem": "'1GB'", "effective_cache_size": "'8GB'", "max_wal_size": "'16GB'",
            "max_parallel_workers_per_gather": 2, "max_parallel_maintenance_workers": 2,
            "random_page_cost": 1.1, "timezone": "'UTC'", "jit": "off",
        }
        with open(self.dir / "data" / "postgresql.auto.conf", "a") as f:
            f.writelines(f"{k} = {v}\n" for k, v in conf.items())
        self.run([str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-w", "-l", str(self.dir / "log"),
                  "start"], quiet=True)
        log(f"PostgreSQL {self.psql('SHOW server_version').strip()} on 127.0.0.1:{self.port} "
            f"(shared_buffers 2GB, work_mem 256MB, parallel workers per gather 2, jit off)")

    def run(self, argv, quiet=False, **kw):
        if self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        return subprocess.run(argv, check=True, stdout=subprocess.DEVNULL if quiet else None, **kw)

    def psql_argv(self):
        return ["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                "-v", "ON_ERROR_STOP=1"]

    def psql(self, sql):
        return subprocess.run(self.psql_argv() + ["-At", "-c", sql], check=True, capture_output=True,
                              text=True).stdout

    def stop(self):
        try:
            self.run([str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "stop"], quiet=True)
        except subprocess.CalledProcessError:
            pass


def load_postgres(args, pg, results):
    schema = subprocess.run([args.datagen, "schema"], check=True, capture_output=True, text=True).stdout.strip()
    pg_schema = schema.replace("VARCHAR", "TEXT").replace("DOUBLE", "DOUBLE PRECISION")
    pg.psql(f"CREATE TABLE events ({pg_schema})")
    start = time.monotonic()
    procs = []
    for a, b in shard_ranges(args.events, 2):
        gen = subprocess.Popen([args.datagen, "--events", str(args.events), "--from", str(a), "--to", str(b),
                                "--format", "csv"], stdout=subprocess.PIPE)
        cp = subprocess.Popen(pg.psql_argv() + ["-c", "COPY events FROM STDIN (FORMAT csv)"], stdin=gen.stdout)
        gen.stdout.close()
        procs.append((gen, cp))
    for gen, cp in procs:
        if cp.wait() != 0 or gen.wait() != 0:
            raise RuntimeError("COPY into PostgreSQL failed")
    copy_s = time.monotonic() - start
    log(f"PostgreSQL: COPY of {args.events:,} rows in {copy_s:.1f} s")
    t = time.monotonic()
    pg.psql("CREATE INDEX events_ts ON events (ts)")
    pg.psql("CREATE INDEX events_user_id ON events (user_id)")
    pg.psql((HERE / "dim.sql").read_text())
    pg.psql("ALTER TABLE users ADD PRIMARY KEY (user_id)")
    pg.psql("VACUUM ANALYZE events")
    pg.psql("VACUUM ANALYZE users")
    index_s = time.monotonic() - t
    size = pg.psql("SELECT pg_size_pretty(pg_total_relation_size('events'))").strip()
    log(f"PostgreSQL: indexes on ts and user_id, users primary key, VACUUM ANALYZE in {index_s:.1f} s; "
        f"events {size} with indexes")
    results["pg_load"] = {"copy_s": copy_s, "index_analyze_s": index_s, "size": size}


def time_pg_queries(args, pg, queries, work):
    out = {}
    for q in queries:
        sql = q.read_text().strip()
        script = [f"SET statement_timeout = '{args.timeout_s}s';", "\\timing on",
                  f"\\o {work}/pg_{q.stem}.out"]
        script += [sql] * args.pg_warmup + ["\\o /dev/null"] + [sql] * args.pg_repeats
        proc = subprocess.run(pg.psql_argv(), input="\n".join(script) + "\n", capture_output=True, text=True)
        times = [float(ms) / 1000 for ms in re.findall(r"^Time: ([\d.]+) ms", proc.stdout, re.M)]
        timed_out = "statement timeout" in proc.stderr
        if proc.returncode != 0 and not timed_out:
            raise RuntimeError(f"psql failed on {q.stem}: {proc.stderr[-1000:]}")
        timed = times[args.pg_warmup:]
        rows = None
        result_file = work / f"pg_{q.stem}.out"
        if result_file.exists():
            lines = result_file.read_text().splitlines()
            m = re.search(r"\((\d+) rows?\)", "\n".join(lines[-3:]))
            rows = int(m.group(1)) if m else None
        if timed_out:
            out[q.stem] = {"seconds": timed, "median": None, "timeout": True, "rows": rows, "load": loadavg()}
            log(f"pg     {q.stem}: > {args.timeout_s} s (statement timeout)")
        else:
            out[q.stem] = {"seconds": timed, "median": median(timed), "rows": rows, "load": loadavg()}
            log(f"pg     {q.stem}: median {median(timed):.3f} s of {['%.3f' % t for t in timed]}, {rows} rows")
    return out


# ------------------------------------------------------------------------ ack → visible latency
def background_ingest(url, rate, batch, senders, sent, stop):
    """Ingests 1,000-event batches into `events` at `rate` events/s over `senders` connections
    until `stop` is set, counting what was acknowledged in `sent`. Runs in a process of its own, so
    the marker client's timings never wait for this interpreter's lock."""
    # Bodies are made before the clock starts (ids 10^12 + …, repeating after `bodies_count`
    # batches), so the sender spends its time sending, not formatting.
    bodies_count = 50
    bodies = []
    for n in range(bodies_count):
        lines = []
        for i in range(batch):
            eid = 10**12 + n * batch + i
            lines.append('{"event_id":%d,"user_id":%d,"session_id":1,"event_type":"page_view","country":"US",'
                         '"device":"mobile","url":"/","amount":0,"duration_ms":1,"ts":"2026-11-26T00:00:00Z"}'
                         % (eid, 1 + eid % 100000))
        bodies.append("\n".join(lines).encode())

    def sender(first):
        http = Http(url)
        interval = batch / (rate / senders)
        next_at = time.monotonic()
        n = first
        while not stop.is_set():
            status, body = http.request("POST", "/v1/streams/events/events", bodies[n % bodies_count],
                                        {"Content-Type": "application/x-ndjson"})
            if status != 200:
                raise RuntimeError(f"background ingest answered {status}: {body[:300]!r}")
            with sent.get_lock():
                sent.value += batch
            n += senders
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            elif delay < -1:
                next_at = time.monotonic()  # behind by a second: do not burst to catch up

    # Several connections, each sending its share of the rate, so one slow acknowledgement does
    # not stall it.
    failed = []

    def run_sender(first):
        try:
            sender(first)
        except Exception as e:  # reported through the exit code; the other sender stops too
            failed.append(e)
            stop.set()
            raise

    threads = [threading.Thread(target=run_sender, args=(i,), daemon=True) for i in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failed:
        sys.exit(1)


def measure_visibility(args, lagoa, results):
    stop = multiprocessing.Event()
    sent = multiprocessing.Value("q", 0)
    ingest = multiprocessing.Process(target=background_ingest, daemon=True,
                                     args=(lagoa.url, args.latency_rate, args.latency_batch_events, 2, sent, stop))
    ingest.start()
    time.sleep(2)
    http = Http(lagoa.url)
    latencies, polls_needed, query_s = [], [], []
    sent_before, t_start = sent.value, time.monotonic()
    end = t_start + args.latency_seconds
    marker = 2 * 10**12 + int(time.time()) * 100_000  # unique per run, even on a table reused by hand
    while time.monotonic() < end:
        marker += 1
        event = ('{"event_id":%d,"user_id":1,"session_id":1,"event_type":"marker","country":"US","device":"mobile",'
                 '"url":"/","amount":0,"duration_ms":1,"ts":"2026-11-26T00:00:00Z"}' % marker)
        status, body = http.request("POST", "/v1/streams/events/events", event.encode(),
                                    {"Content-Type": "application/x-ndjson"})
        if status != 200:
            raise RuntimeError(f"marker ingest answered {status}: {body[:300]!r}")
        acked = time.perf_counter()
        polls = 0
        while True:
            polls += 1
            q0 = time.perf_counter()
            body = http.sql(f"SELECT count(*) FROM events WHERE event_id = {marker}", "csv")
            query_s.append(time.perf_counter() - q0)
            if body.split(b"\n")[1].strip() == b"1":
                break
            if polls > 10000:
                raise RuntimeError(f"marker {marker} not visible after 10,000 queries")
        latencies.append(time.perf_counter() - acked)
        polls_needed.append(polls)
    elapsed = time.monotonic() - t_start
    achieved = (sent.value - sent_before) / elapsed
    stop.set()
    ingest.join(30)
    if ingest.exitcode != 0:
        raise RuntimeError(f"the background ingest process failed (exit code {ingest.exitcode})")

    def pct(values, p):
        s = sorted(values)
        return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]

    r = {"markers": len(latencies), "background_events_per_s": achieved, "target_rate": args.latency_rate,
         "p50_ms": pct(latencies, 50) * 1000, "p99_ms": pct(latencies, 99) * 1000, "max_ms": max(latencies) * 1000,
         "first_query_saw_it": sum(1 for p in polls_needed if p == 1), "query_p50_ms": pct(query_s, 50) * 1000,
         "load": loadavg()}
    results["visibility"] = r
    log(f"ack→visible over {len(latencies)} markers while ingesting {achieved:,.0f} events/s in the background "
        f"(target {args.latency_rate:,}): p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, max {r['max_ms']:.2f} ms; "
        f"first query saw the marker {r['first_query_saw_it']}/{len(latencies)} times")


# ---------------------------------------------------------------------------------------- pgbench
def run_pgbench(args, host, port, mode, work, name):
    script = work / "point.sql"
    script.write_text("\\set id random(1, 100000)\nSELECT * FROM users WHERE user_id = :id;\n")
    cmd = ["pgbench", "-n", "-f", str(script), "-c", "16", "-j", "2", "-T", str(args.pgbench_seconds),
           "-h", host, "-p", str(port), "-M", mode, "-U", "postgres", "postgres"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    text = proc.stdout + proc.stderr
    (work / f"pgbench_{name}_{mode}.out").write_text(text)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", text)
    lat = re.search(r"latency average = ([\d.]+) ms", text)
    failed = re.search(r"number of failed transactions: (\d+)", text)
    r = {"tps": float(tps.group(1)) if tps else None, "latency_ms": float(lat.group(1)) if lat else None,
         "failed": int(failed.group(1)) if failed else None, "exit": proc.returncode, "load": loadavg()}
    log(f"pgbench {name} -M {mode}: tps {r['tps']}, latency average {r['latency_ms']} ms, failed {r['failed']}, "
        f"exit {proc.returncode}")
    if proc.returncode != 0:
        print(text[-1500:], flush=True)
    return r


# ----------------------------------------------------------------------------------------- report
def report(args, results, queries):
    print("\n== report")
    rows = []
    ratios_duck, ratios_pg = [], []
    print("| query | lagoa s | DuckDB alone s | PostgreSQL s | lagoa / DuckDB | PostgreSQL / lagoa | rows l/d/p |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for q in queries:
        lq = results["lagoa"].get(q.stem, {})
        dq = results["duckdb"].get(q.stem, {})
        pq = results.get("pg", {}).get(q.stem, {})
        l, d, p = lq.get("median"), dq.get("median"), pq.get("median")
        r1 = l / d if l and d else None
        if r1:
            ratios_duck.append(r1)
        if pq.get("timeout"):
            p_text, r2_text = f"> {args.timeout_s}", f"> {args.timeout_s / l:.1f}×" if l else ""
            ratios_pg.append(args.timeout_s / l)
        elif p and l:
            p_text, r2_text = f"{p:.3f}", f"{p / l:.3g}×"
            ratios_pg.append(p / l)
        else:
            p_text, r2_text = "–", ""
        print(f"| {q.stem} | {l:.3f} | {d:.3f} | {p_text} | {r1:.2f}× | {r2_text} | "
              f"{lq.get('rows')}/{dq.get('rows')}/{pq.get('rows')} |")
    g1, g2 = geomean(ratios_duck), geomean(ratios_pg)
    # DuckDB alone against PostgreSQL: what the engine itself reaches on this machine.
    duck_pg = []
    for q in queries:
        d, pq = results["duckdb"].get(q.stem, {}).get("median"), results.get("pg", {}).get(q.stem, {})
        p = args.timeout_s if pq.get("timeout") else pq.get("median")
        if d and p:
            duck_pg.append(p / d)
    print(f"| **geometric mean** | | | | **{g1:.2f}×** (target ≤ 1.1: **{'met' if g1 <= 1.1 else 'missed'}**) | "
          + (f"**{g2:.1f}×** (target ≥ 20: **{'met' if g2 >= 20 else 'missed'}**) |" if g2 else " |") + " |")
    results["geomean"] = {"lagoa_over_duckdb": g1, "pg_over_lagoa": g2, "pg_over_duckdb": geomean(duck_pg)}
    if duck_pg:
        print(f"DuckDB alone is {geomean(duck_pg):.1f}× faster than PostgreSQL (geometric mean) in the same run.")
    if any(results.get("pg", {}).get(q.stem, {}).get("timeout") for q in queries):
        print(f"(a PostgreSQL timeout counts as {args.timeout_s} s in the geometric mean: a lower bound of the ratio)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lagoa", required=True)
    ap.add_argument("--datagen", required=True)
    ap.add_argument("--duckdb", required=True)
    ap.add_argument("--work", required=True, help="work directory (must not exist; removed at the end)")
    ap.add_argument("--events", type=int, default=50_000_000)
    ap.add_argument("--quick", action="store_true", help="2 M events, 1 repeat, short latency and pgbench runs")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pg-warmup", type=int, default=1)
    ap.add_argument("--pg-repeats", type=int, default=3)
    ap.add_argument("--timeout-s", type=int, default=300, help="per statement, lagoa and PostgreSQL")
    ap.add_argument("--ingest-shards", type=int, default=4)
    ap.add_argument("--batch-events", type=int, default=5000)
    ap.add_argument("--lake-load-interval-ms", type=int, default=1000)
    ap.add_argument("--sql-threads", type=int, default=0, help="lagoa's sql_threads (0: one per core)")
    ap.add_argument("--sql-memory-limit", default="2GiB")
    ap.add_argument("--latency-seconds", type=int, default=30)
    ap.add_argument("--latency-rate", type=int, default=100_000)
    ap.add_argument("--latency-batch-events", type=int, default=1000)
    ap.add_argument("--pgbench-seconds", type=int, default=30)
    ap.add_argument("--skip-pg", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--lagoa-arg", action="append", default=[], help="one more `lagoa server` argument")
    args = ap.parse_args()
    if args.quick:
        args.events, args.repeats, args.pg_repeats = 2_000_000, 1, 1
        args.latency_seconds, args.pgbench_seconds = 10, 10
    args.lagoa_arg += ["--sql-memory-limit", args.sql_memory_limit]
    if args.sql_threads:
        args.lagoa_arg += ["--sql-threads", str(args.sql_threads)]
    work = Path(args.work)
    work.mkdir(parents=True)
    queries = sorted((HERE / "queries").glob("*.sql"))
    results = {"events": args.events, "queries": [q.stem for q in queries]}
    lagoa = pg = None
    try:
        log(f"{args.events:,} events, {len(queries)} queries, warm-up {args.warmup} + {args.repeats} timed "
            f"(PostgreSQL {args.pg_warmup} + {args.pg_repeats}), timeout {args.timeout_s} s; work dir {work}")
        lagoa = Lagoa(args, work)
        load_lagoa(args, lagoa, work, results)
        if not args.skip_pg:
            pg = Postgres(args, work)
            load_postgres(args, pg, results)
        # Query by query, the three systems one after the other, so each pair meets about the
        # same load from the rest of the machine.
        results["lagoa"], results["duckdb"], results["pg"] = {}, {}, {}
        for q in queries:
            results["lagoa"].update(time_lagoa_queries(args, lagoa, [q]))
            results["duckdb"].update(time_duckdb_queries(args, lagoa, [q]))
            if pg:
                results["pg"].update(time_pg_queries(args, pg, [q], work))
        measure_visibility(args, lagoa, results)
        results["pgbench"] = {}
        for mode in ("simple", "extended"):
            results["pgbench"][f"lagoa_{mode}"] = run_pgbench(args, lagoa.pg[0], lagoa.pg[1], mode, work, "lagoa")
        if pg:
            for mode in ("simple", "extended"):
                results["pgbench"][f"pg_{mode}"] = run_pgbench(args, "127.0.0.1", pg.port, mode, work, "postgres")
        report(args, results, queries)
        print("\n== raw\n" + json.dumps(results))
    finally:
        if lagoa:
            lagoa.stop()
        if pg:
            pg.stop()
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
