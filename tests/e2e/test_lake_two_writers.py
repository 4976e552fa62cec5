"""Two processes commit to one Delta table at the same time (lagoa_delta_append, lagoa's
DeltaTableWriter over a LocalObjectStore): no commit may be lost or duplicated. Checked from the
JSON log (contiguous versions, one commit per append plus the creation, every writer's every
sequence once, the versions each process printed distinct and equal to the log's) and from the
data read through DuckDB. A second run has both writers share one txn appId: every sequence is
then committed exactly once between them.

Environment: LAGOA_DELTA_APPEND and LAGOA_DUCKDB_QUERY (see delta_check.py); LAGOA_E2E_SCALE
scales the appends per writer (100 at 1.0)."""

import json
import os
import re
import subprocess
import time

import delta_check as dc
import lagoa_harness as h

LINE_RE = re.compile(r"^(committed|skipped|created) writer=(\d+) (.*)$")
WRITER_TIMEOUT_S = 300


class TwoWritersTest(h.ServerTestCase):
    start_class_server = False

    def run_writers(self, table_dir, count, app_id=None, writers=(1, 2)):
        """Starts the writers at once; returns {writer: [parsed stdout lines]} after both exit 0."""
        procs = {}
        for w in writers:
            cmd = [dc.tool("LAGOA_DELTA_APPEND"), "--table", table_dir, "--writer", str(w), "--count", str(count)]
            if app_id:
                cmd += ["--app-id", app_id]
            procs[w] = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        env=h.clean_env({"TMPDIR": self.tmp_path()}))
        out = {}
        for w, proc in procs.items():
            stdout, stderr = proc.communicate(timeout=WRITER_TIMEOUT_S)
            self.assertEqual(proc.returncode, 0, f"writer {w} exited {proc.returncode}: {stderr.decode(errors='replace')}")
            lines = []
            for line in stdout.decode().splitlines():
                m = LINE_RE.match(line)
                self.assertIsNotNone(m, f"writer {w}: unexpected output line {line!r}")
                fields = dict(kv.split("=") for kv in m.group(3).split())
                lines.append((m.group(1), int(m.group(2)), {k: int(v) for k, v in fields.items()}))
            out[w] = lines
        return out

    def commit_adds(self, log, version):
        adds = [a["add"] for a in log.commits[version] if "add" in a]
        return [(json.loads(a["stats"])["minValues"]["writer"], json.loads(a["stats"])["minValues"]["seq"], a["path"])
                for a in adds]

    def test_concurrent_appends_are_each_committed_once(self):
        n = h.scaled(100, 10)
        table_dir = self.tmp_path("table")
        t0 = time.monotonic()
        out = self.run_writers(table_dir, n)
        elapsed_s = time.monotonic() - t0
        log = dc.DeltaLog(table_dir)
        self.assertEqual(log.problems(), [])
        self.assertEqual(log.versions, list(range(2 * n + 1)), "one commit per append plus the creation")

        created = [line for lines in out.values() for line in lines if line[0] == "created"]
        self.assertEqual(len(created), 1, f"exactly one writer creates version 0: {created}")
        self.assertEqual(created[0][2]["version"], 0)
        self.assertTrue(any("metaData" in a for a in log.commits[0]) and any("protocol" in a for a in log.commits[0]))

        printed = {}
        for w, lines in out.items():
            seqs = [f["seq"] for kind, _, f in lines if kind == "committed"]
            self.assertEqual(seqs, list(range(n)), f"writer {w} printed sequences {seqs[:10]}…")
            for kind, writer, f in lines:
                if kind == "committed":
                    self.assertNotIn(f["version"], printed, f"version {f['version']} printed twice")
                    printed[f["version"]] = (writer, f["seq"])
        self.assertEqual(sorted(printed), list(range(1, 2 * n + 1)))

        in_log = {}
        for v in range(1, 2 * n + 1):
            adds = self.commit_adds(log, v)
            self.assertEqual(len(adds), 1, f"commit {v} holds {len(adds)} adds")
            writer, seq, _ = adds[0]
            self.assertNotIn((writer, seq), in_log, f"({writer}, {seq}) committed at {in_log.get((writer, seq))} and {v}")
            in_log[(writer, seq)] = v
            self.assertEqual(printed[v], (writer, seq), f"version {v}: the writer printed {printed[v]}, the log holds {(writer, seq)}")
        self.assertEqual(sorted(in_log), [(w, s) for w in (1, 2) for s in range(n)])

        interleaved = sum(1 for v in range(2, 2 * n + 1) if printed[v][0] != printed[v - 1][0])
        retried = sum(f["attempts"] > 1 for lines in out.values() for kind, _, f in lines if kind == "committed")
        self.assertEqual(dc.add_problems(log), [])
        self.check_checkpoints(log)
        rows = dc.duckdb_rows(f"SELECT writer, seq FROM read_parquet({dc.parquet_list_sql(table_dir, sorted(log.active))}) "
                              f"ORDER BY writer, seq")
        self.assertEqual([(r["writer"], r["seq"]) for r in rows], sorted(in_log), "rows read through DuckDB")
        self.assertEqual(log.orphans(), [])
        print(f"\n[two-writers] {2 * n} appends in {elapsed_s:.1f} s; writer switches between versions: {interleaved}; "
              f"commits that lost a version first: {retried}; checkpoints {log.checkpoints}", flush=True)

    def check_checkpoints(self, log):
        """Every multiple of 10 has a checkpoint holding exactly the files active at its version."""
        self.assertEqual(log.checkpoints, list(range(10, log.latest() + 1, 10)))
        if log.checkpoints:
            # Only a hint (a slower writer may leave an older one); it must name a real checkpoint.
            self.assertIn(log.last_checkpoint["version"], log.checkpoints, log.last_checkpoint)
        for c in log.checkpoints:
            path = os.path.join(log.log_dir, f"{c:020d}.checkpoint.parquet")
            rows = dc.duckdb_rows(f"SELECT add.path AS path FROM read_parquet({dc.sql_string(path)}) WHERE add IS NOT NULL")
            self.assertEqual(sorted(dc.decode_path(r["path"]) for r in rows), sorted(log.active_at(c)), f"checkpoint {c}")

    def test_writers_sharing_an_app_id_commit_each_sequence_once(self):
        n = h.scaled(30, 5)
        table_dir = self.tmp_path("table")
        out = self.run_writers(table_dir, n, app_id="e2e-loader")
        log = dc.DeltaLog(table_dir)
        self.assertEqual(log.problems(), [])
        committed = {f["seq"]: (w, f["version"]) for lines in out.values() for kind, w, f in lines if kind == "committed"}
        count = sum(1 for lines in out.values() for kind, _, _ in lines if kind == "committed")
        self.assertEqual(count, n, f"{count} commits for {n} sequences: {sorted(committed)}")
        self.assertEqual(sorted(committed), list(range(n)))
        self.assertEqual(log.versions, list(range(n + 1)))
        self.assertEqual(log.txns, {"e2e-loader": n - 1})
        for seq, (w, v) in committed.items():
            adds = self.commit_adds(log, v)
            self.assertEqual([a[:2] for a in adds], [(w, seq)], f"commit {v}")
            txns = [a["txn"] for a in log.commits[v] if "txn" in a]
            self.assertEqual([(t["appId"], t["version"]) for t in txns], [("e2e-loader", seq)], f"commit {v}")
        rows = dc.duckdb_rows(f"SELECT seq FROM read_parquet({dc.parquet_list_sql(table_dir, sorted(log.active))}) ORDER BY seq")
        self.assertEqual([r["seq"] for r in rows], list(range(n)))
        skipped = sum(1 for lines in out.values() for kind, _, _ in lines if kind == "skipped")
        print(f"\n[two-writers/app-id] {n} sequences committed once; {skipped} skipped as already committed; "
              f"orphans {len(log.orphans())}", flush=True)
        self.assertEqual(log.orphans(), [], "a losing writer deletes its file")


if __name__ == "__main__":
    h.main()
