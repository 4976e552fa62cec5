"""The lake crash loop: clients post continuously while the server, loading its stream into the
lake every 100 ms, is SIGKILLed and restarted 20 times on the same data directory. Afterwards the
lake table must hold exactly what the server's log holds (every offset once, the same key at each
offset, so every acknowledged event exactly once), the key column's count, sum and xor-hash read
from the Parquet files through DuckDB must match, and every file the Delta log references must
exist (nothing is vacuumed at the default retention), the latest version's files with the size
and row count their `add`s state. Orphans of kills between a file's put and its commit are
counted and allowed. A second loop (10 kills) runs table maintenance every 200 ms, so kills land
during compactions (OPTIMIZE commits) too, with the same checks. In both, a SQL client queries the
stream (lake and live tail) throughout: it may be refused while the server stops or starts, but no
answer may fail otherwise or count fewer events than an earlier one, in any server life.

Environment: LAGOA_E2E_SEED picks the kill moments; LAGOA_E2E_SCALE scales the batch sizes;
LAGOA_E2E_KILLS multiplies the kill counts (the longer mode: 10 gives 200 + 100 kills);
LAGOA_DUCKDB_QUERY is the DuckDB query tool (see delta_check.py)."""

import json
import os
import random
import threading
import time

import delta_check as dc
import lagoa_harness as h
import load_clients as lc

KILLS_FACTOR = int(os.environ.get("LAGOA_E2E_KILLS", "1"))
KILLS = 20 * KILLS_FACTOR
KILLS_WHILE_COMPACTING = 10 * KILLS_FACTOR
STREAM = "lakecrash"
APP_ID = f"lagoa:{STREAM}:0"
LOAD_FLAGS = ["--lake-load-interval-ms", "100"]
PROGRESS_TIMEOUT_S = 60.0
CATCH_UP_TIMEOUT_S = 90.0


class SqlReader:
    """Queries `SELECT count(*)` of the stream through POST /v1/sql while the loop runs. Connection
    errors and 503 (a server stopping or starting) are expected; any other failure, or a count
    below an earlier one, is a problem."""

    def __init__(self, ref):
        self.ref = ref
        self.stop = threading.Event()
        self.answers = 0
        self.refused = 0
        self.problems = []
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        highest = 0
        while not self.stop.is_set():
            up = self.ref.wait_up(0.2)
            if up is None:
                continue
            try:
                status, _, data = h.http_request(up[0], "POST", "/v1/sql", f"SELECT count(*) FROM {STREAM}",
                                                 {"Content-Type": "text/plain"}, timeout=30)
            except OSError:
                self.refused += 1
                continue
            if status == 503:
                self.refused += 1
            elif status != 200:
                self.problems.append(f"SQL answered {status}: {data[:300]!r}")
            else:
                count = json.loads(data)["rows"][0][0]
                if count < highest:
                    self.problems.append(f"SQL counted {count} events after counting {highest}")
                highest = max(highest, count)
                self.answers += 1
            time.sleep(0.02)


def commit_count(table_dir):
    try:
        return sum(1 for n in os.listdir(os.path.join(table_dir, "_delta_log")) if dc.COMMIT_RE.match(n))
    except FileNotFoundError:
        return 0


def optimize_count(table_dir):
    """OPTIMIZE commits in the table's JSON log."""
    log_dir = os.path.join(table_dir, "_delta_log")
    count = 0
    for name in listing(log_dir):
        if dc.COMMIT_RE.match(name):
            try:
                with open(os.path.join(log_dir, name)) as f:
                    count += '"operation":"OPTIMIZE"' in f.read()
            except FileNotFoundError:
                pass
    return count


def listing(path):
    try:
        return os.listdir(path)
    except FileNotFoundError:
        return []


def uncommitted_files(data_dir, table_dir):
    """A measure of files in flight: Parquet files in the server's scratch directory
    (<data>/tmp), store temporaries in the table directory, and data files beyond one per commit
    (each load commits one file; version 0 holds none). Grows while a load is under way."""
    names = listing(table_dir)
    scratch = sum(1 for n in listing(os.path.join(data_dir, "tmp")) if n.endswith(".parquet"))
    temps = sum(1 for n in names if n.startswith(".lagoa-tmp-"))
    parts = sum(1 for n in names if n.endswith(".parquet"))
    return scratch + temps + parts - max(commit_count(table_dir) - 1, 0)


class LakeCrashLoopTest(h.ServerTestCase):
    start_class_server = False

    def test_sigkill_while_loading_keeps_the_lake_equal_to_the_log(self):
        def kill_moment(rng, k, clients, generation, data_dir, table_dir):
            # 40 % of the kills wait for a file in flight (written, not yet committed), 30 % land
            # shortly after the restarted server's first lake commit, 30 % at a random moment.
            r = rng.random()
            kind = "in_flight" if r < 0.4 else "after_commit" if r < 0.7 else "random"
            self.wait_for_progress(clients, generation, table_dir, kind == "after_commit", k)
            if kind == "in_flight":
                if not self.wait_for_file_in_flight(data_dir, table_dir, timeout_s=5.0):
                    kind = "in_flight_missed"
            elif kind == "after_commit":
                time.sleep(rng.uniform(0.0, 0.15))
            else:
                time.sleep(rng.uniform(0.05, 0.6))
            return kind

        self.run_crash_loop("lake-crash", KILLS, LOAD_FLAGS, kill_moment)

    def test_sigkill_while_compacting_keeps_the_lake_equal_to_the_log(self):
        """The same with table maintenance (compaction into OPTIMIZE commits) every 200 ms: kills
        land during loads and compactions alike; compacted files must hold the same rows.

        The clients pause before each kill: under sustained ingest the loader stays on the busy
        partition for up to 10 s per pass (test_lake_fairness.py), longer than a server lives
        here, so maintenance would hardly run."""
        def kill_moment(rng, k, clients, generation, data_dir, table_dir):
            self.wait_for_progress(clients, generation, table_dir, False, k)
            time.sleep(rng.uniform(0.0, 0.3))
            ref.set_down()  # the clients pause; loads catch up, then maintenance compacts
            if rng.random() < 0.5:
                time.sleep(rng.uniform(0.1, 1.0))  # often mid-load or mid-compaction
                return "paused"
            # Half the kills wait for a compaction to land first (a slow build may otherwise kill
            # every server before its maintenance ran); the first lives may have one file only.
            optimized = optimize_count(table_dir)
            deadline = time.monotonic() + 5.0
            while optimize_count(table_dir) == optimized and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.3))
            return "paused_after_optimize"

        ref = lc.ServerRef()
        log = self.run_crash_loop("lake-compact", KILLS_WHILE_COMPACTING,
                                  LOAD_FLAGS + ["--lake-maintenance-interval-ms", "200"], kill_moment, ref)
        optimize = [v for v in log.versions for a in log.commits[v]
                    if a.get("commitInfo", {}).get("operation") == "OPTIMIZE"]
        self.assertGreater(len(optimize), 1, "compaction hardly happened: the test did not test it")

    def run_crash_loop(self, name, kills, flags, kill_moment, ref=None):
        """Clients post (through `ref`) while the server is killed `kills` times at moments
        kill_moment picks; then the lake must equal the log. Returns the final DeltaLog."""
        dc.tool("LAGOA_DUCKDB_QUERY")
        rng = random.Random(h.SEED)
        data_dir = self.tmp_path("data")
        table_dir = os.path.join(data_dir, "lake", STREAM)
        server = self.start_server(flags, data_dir=data_dir)
        server.create_stream(STREAM, lc.SCHEMA, partitions=1)
        ref = ref or lc.ServerRef()
        ref.set_up(server.port)
        clients, stop = lc.start_clients(ref, STREAM, h.SEED, count=2, batch_events=h.scaled(50, 10),
                                         bad_fraction=0.0, big_batch_events=h.scaled(1000, 100), big_fraction=0.05)
        sql = SqlReader(ref)
        sql.thread.start()
        t_start = time.monotonic()
        kinds = {}
        try:
            for k in range(kills):
                kind = kill_moment(rng, k, clients, ref.generation, data_dir, table_dir)
                kinds[kind] = kinds.get(kind, 0) + 1
                ref.set_down()
                server.kill()
                server.start()
                ref.set_up(server.port)
            time.sleep(0.5)  # a last stretch of ingest that the final loads must pick up
        finally:
            lc.stop_clients(clients, stop)
            sql.stop.set()
            sql.thread.join()
        loop_s = time.monotonic() - t_start

        status, desc, _ = server.json("GET", f"/v1/streams/{STREAM}")
        self.assertEqual(status, 200, desc)
        next_offset = desc["partitions"][0]["next_offset"]
        t0 = time.monotonic()
        log = self.wait_caught_up(table_dir, next_offset, server)
        catch_up_s = time.monotonic() - t0

        problems = log.problems() + dc.add_problems(log) + [f"SQL reader: {p}" for p in sql.problems[:10]]
        if sql.answers == 0:
            problems.append("the SQL reader got no answer: the loop did not test SQL")
        events = server.read_events(STREAM)
        problems_log, summary = lc.Verdict(clients).check_events(events)
        problems += [f"server log: {p}" for p in problems_log]
        lake_problems, lake_ids = self.compare_lake_with_log(table_dir, sorted(log.active), events)
        problems += lake_problems

        acked_ids = {i for c in clients for b in c.batches if b.state == "acked" for i in b.ids}
        if not acked_ids <= set(lake_ids):
            problems.append(f"{len(acked_ids - set(lake_ids))} acknowledged ids are not in the lake")
        checksum = dc.duckdb_rows(dc.key_checksum_sql("id", table_dir, sorted(log.active)))[0]
        log_ids = [e["id"] for e in events]
        want = {"n": len(log_ids), "total": str(sum(log_ids)), "xor_hash": str(dc.xor_hash(log_ids))}
        if checksum != want:
            problems.append(f"key checksum read through DuckDB {checksum}, the log's events give {want}")
        operations = {}
        for v in log.versions:
            for a in log.commits[v]:
                if "commitInfo" in a:
                    op = a["commitInfo"].get("operation")
                    operations[op] = operations.get(op, 0) + 1
        print(f"\n[{name}] seed={h.SEED} kills={kills} {kinds} "
              f"acked_events={summary['acked_events']} unacked_present={summary['unacked_present']} "
              f"log_events={len(events)} lake_versions={log.latest() + 1} {operations} files={len(log.active)} "
              f"orphan_files={len(log.orphans())} checkpoints={len(log.checkpoints)} "
              f"sql_answers={sql.answers} sql_refused={sql.refused} "
              f"loop {loop_s:.1f} s, catch-up {catch_up_s:.1f} s", flush=True)
        self.assertEqual(problems, [], "\n".join(problems[:30]))
        self.assertGreater(summary["acked_events"], 0)
        return log

    def wait_for_progress(self, clients, generation, table_dir, wait_for_commit, k):
        """Until the current server acknowledged a batch and, if asked, committed to the lake."""
        commits_before = commit_count(table_dir)
        t0 = time.monotonic()
        while True:
            acked = lc.acked_batches_in_generation(clients, generation) > 0
            if acked and (not wait_for_commit or commit_count(table_dir) > commits_before):
                return
            if time.monotonic() - t0 > PROGRESS_TIMEOUT_S:
                self.fail(f"before kill #{k + 1}: no {'lake commit' if acked else 'acknowledged batch'} "
                          f"for {PROGRESS_TIMEOUT_S:.0f} s; client problems: "
                          f"{[v for c in clients for v in c.violations][:5]}")
            time.sleep(0.005)

    def wait_for_file_in_flight(self, data_dir, table_dir, timeout_s):
        """Polls until a load has a file in flight; False when none showed within timeout_s."""
        baseline = uncommitted_files(data_dir, table_dir)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if uncommitted_files(data_dir, table_dir) > baseline:
                return True
            time.sleep(0.001)
        return False

    def wait_caught_up(self, table_dir, next_offset, server):
        """Polls the Delta log until the loader's txn covers every offset below next_offset."""
        deadline = time.monotonic() + CATCH_UP_TIMEOUT_S
        while True:
            log = dc.DeltaLog(table_dir)
            if log.txns.get(APP_ID, -1) >= next_offset - 1:
                return log
            if time.monotonic() > deadline:
                self.fail(f"the lake did not catch up within {CATCH_UP_TIMEOUT_S:.0f} s: txn {APP_ID} = "
                          f"{log.txns.get(APP_ID)}, log next_offset {next_offset}\n{server.stderr_tail()}")
            time.sleep(0.1)

    def compare_lake_with_log(self, table_dir, paths, events):
        """The lake's (offset, partition, id) rows read through DuckDB, against the log's events;
        returns (problems, the lake's ids)."""
        rows = dc.duckdb_rows(f"SELECT _offset, _partition, id FROM read_parquet({dc.parquet_list_sql(table_dir, paths)}) "
                              f"ORDER BY _offset, id")
        problems = []
        offsets = [r["_offset"] for r in rows]
        if offsets != list(range(len(events))):
            dups = len(offsets) - len(set(offsets))
            missing = sorted(set(range(len(events))) - set(offsets))
            problems.append(f"the lake holds {len(rows)} rows for {len(events)} log events: {dups} duplicate offsets, "
                            f"{len(missing)} missing (e.g. {missing[:5]})")
        for row, event in zip(rows, events):
            if (row["_offset"], row["_partition"], row["id"]) != (event["_offset"], 0, event["id"]):
                problems.append(f"lake row {row} differs from the log's event at offset {event['_offset']}: {event}")
                break
        return problems, [r["id"] for r in rows]


if __name__ == "__main__":
    h.main()
