"""Reading and checking a Delta table from the outside, for the lake end-to-end tests: the JSON log
replayed in Python (independently of lagoa's C++ reader) and the Parquet files read through
DuckDB by the `lagoa_duckdb_query` tool (libduckdb's C API, none of lagoa's code).

Environment: LAGOA_DUCKDB_QUERY (path of lagoa_duckdb_query) and LAGOA_DELTA_APPEND (path of
lagoa_delta_append); CTest passes both for the e2e_lake_* tests."""

import decimal
import json
import os
import re
import subprocess
import sys
import urllib.parse

COMMIT_RE = re.compile(r"^(\d{20})\.json$")
CHECKPOINT_RE = re.compile(r"^(\d{20})\.checkpoint\.parquet$")
MASK64 = (1 << 64) - 1
HASH_MULTIPLIER = 0x9E3779B97F4A7C15  # odd: multiplication modulo 2^64 is a bijection


def tool(env_name):
    path = os.environ.get(env_name)
    if not path:
        sys.exit(f"{env_name} is not set: point it at the built tool (CTest sets it)")
    if not os.access(path, os.X_OK):
        sys.exit(f"{env_name}={path} is not an executable file")
    return path


def duckdb_rows(sql, timeout=300):
    """Runs one query through lagoa_duckdb_query; returns the rows as dicts (JSON numbers with a
    fraction or exponent as decimal.Decimal, so nothing is rounded on the way)."""
    proc = subprocess.run([tool("LAGOA_DUCKDB_QUERY"), "--format", "jsonl", sql], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"DuckDB query failed (exit {proc.returncode}): {proc.stderr.decode(errors='replace')}\n"
                             f"query: {sql[:2000]}")
    text = proc.stdout.decode("utf-8")
    return [json.loads(line, parse_float=decimal.Decimal) for line in text.split("\n") if line]


def sql_string(text):
    return "'" + text.replace("'", "''") + "'"


def parquet_list_sql(table_dir, paths):
    """DuckDB's list literal of the files' absolute paths."""
    return "[" + ", ".join(sql_string(os.path.join(os.path.abspath(table_dir), p)) for p in paths) + "]"


def xor_hash(keys):
    """The checksum the tests compare with DuckDB's: xor over keys of (key * HASH_MULTIPLIER) mod 2^64."""
    out = 0
    for k in keys:
        out ^= (k * HASH_MULTIPLIER) & MASK64
    return out


def key_checksum_sql(column, table_dir, paths):
    """count, sum and xor-hash of a BIGINT column over the files, computed by DuckDB."""
    return (f"SELECT count(*)::BIGINT AS n, sum({column})::VARCHAR AS total, "
            f"bit_xor((({column}::HUGEINT * {HASH_MULTIPLIER}) % {1 << 64})::UBIGINT)::VARCHAR AS xor_hash "
            f"FROM read_parquet({parquet_list_sql(table_dir, paths)})")


class DeltaLog:
    """A table's `_delta_log/` replayed from its JSON commits (lagoa never deletes them), in order.

    Attributes: versions (sorted ints), commits {version: [action dicts]}, active {path: add},
    all_added (every add path of every commit), txns {appId: version}, protocol, metadata,
    checkpoints (sorted versions with a classic checkpoint file), last_checkpoint (dict or None).
    Paths are decoded (percent-decoding once), as a Delta reader does."""

    def __init__(self, table_dir):
        self.table_dir = table_dir
        self.log_dir = os.path.join(table_dir, "_delta_log")
        self.versions = []
        self.commits = {}
        self.active = {}
        self.all_added = set()
        self.txns = {}
        self.protocol = None
        self.metadata = None
        self.checkpoints = []
        self.last_checkpoint = None
        names = sorted(os.listdir(self.log_dir)) if os.path.isdir(self.log_dir) else []
        for name in names:
            m = COMMIT_RE.match(name)
            if m:
                self.versions.append(int(m.group(1)))
            m = CHECKPOINT_RE.match(name)
            if m:
                self.checkpoints.append(int(m.group(1)))
        for v in self.versions:
            self.commits[v] = self._read_commit(v)
            self._apply(self.commits[v])
        hint = os.path.join(self.log_dir, "_last_checkpoint")
        if os.path.exists(hint):
            with open(hint) as f:
                self.last_checkpoint = json.loads(f.read())

    def commit_path(self, version):
        return os.path.join(self.log_dir, f"{version:020d}.json")

    def _read_commit(self, version):
        with open(self.commit_path(version), encoding="utf-8") as f:
            text = f.read()
        if not text.endswith("\n"):
            raise AssertionError(f"commit {version} does not end with a newline (torn?)")
        actions = []
        for n, line in enumerate(text.split("\n")[:-1], 1):
            action = json.loads(line)
            if not isinstance(action, dict) or len(action) != 1:
                raise AssertionError(f"commit {version} line {n}: not one action: {line[:200]}")
            actions.append(action)
        return actions

    def _apply(self, actions):
        for action in actions:
            kind, body = next(iter(action.items()))
            if kind == "add":
                path = decode_path(body["path"])
                self.active[path] = body
                self.all_added.add(path)
            elif kind == "remove":
                self.active.pop(decode_path(body["path"]), None)
            elif kind == "txn":
                self.txns[body["appId"]] = body["version"]
            elif kind == "protocol":
                self.protocol = body
            elif kind == "metaData":
                self.metadata = body

    def latest(self):
        return self.versions[-1] if self.versions else None

    def active_at(self, version):
        """Active add paths after replaying commits 0..version."""
        active = set()
        for v in self.versions:
            if v > version:
                break
            for action in self.commits[v]:
                if "add" in action:
                    active.add(decode_path(action["add"]["path"]))
                elif "remove" in action:
                    active.discard(decode_path(action["remove"]["path"]))
        return active

    def problems(self, every_version=True):
        """Structural problems any Delta reader would trip on: a gap in the versions, a missing
        commitInfo, a referenced file that is not on disk — a file of any version (time travel),
        or with every_version=False only the latest version's (after a VACUUM)."""
        out = []
        if self.versions and self.versions != list(range(self.versions[-1] + 1)):
            missing = sorted(set(range(self.versions[-1] + 1)) - set(self.versions))
            out.append(f"commit versions are not contiguous from 0: missing {missing[:10]}")
        for v, actions in self.commits.items():
            if not any("commitInfo" in a for a in actions):
                out.append(f"commit {v} has no commitInfo")
        referenced = self.all_added if every_version else self.active
        absent = sorted(p for p in referenced if not os.path.exists(os.path.join(self.table_dir, p)))
        if absent:
            out.append(f"{len(absent)} files referenced by the log do not exist, e.g. {absent[:3]}")
        return out

    def orphans(self):
        """Parquet files in the table directory that no commit references."""
        out = []
        for root, dirs, files in os.walk(self.table_dir):
            dirs[:] = [d for d in dirs if d != "_delta_log"]
            for name in files:
                rel = os.path.relpath(os.path.join(root, name), self.table_dir)
                if name.endswith(".parquet") and rel not in self.all_added:
                    out.append(rel)
        return sorted(out)


def decode_path(uri):
    if "://" in uri or uri.startswith("/"):
        raise AssertionError(f"add path {uri!r} is not relative to the table")
    return urllib.parse.unquote(uri)


def file_row_counts(table_dir, paths):
    """{path: rows} as DuckDB counts them in each Parquet file."""
    if not paths:
        return {}
    base = os.path.abspath(table_dir) + os.sep
    rows = duckdb_rows(f"SELECT filename, count(*)::BIGINT AS n FROM read_parquet("
                       f"{parquet_list_sql(table_dir, paths)}, filename = true) GROUP BY filename")
    return {r["filename"][len(base):]: r["n"] for r in rows}


def add_problems(log, paths=None):
    """Checks every add (of `paths`, default all active files) against the file it names: the
    required fields and their JSON types, size equal to the file's size on disk, stats a JSON
    string whose numRecords equals the row count DuckDB reads from the file."""
    out = []
    paths = sorted(log.active) if paths is None else list(paths)
    counts = file_row_counts(log.table_dir, paths)
    for path in paths:
        add = log.active[path]
        for field, kind in (("path", str), ("partitionValues", dict), ("size", int), ("modificationTime", int),
                            ("dataChange", bool), ("stats", str)):
            if not isinstance(add.get(field), kind):
                out.append(f"add {path}: field {field} should be a JSON {kind.__name__}: {add.get(field)!r}")
        if out:
            continue
        on_disk = os.path.getsize(os.path.join(log.table_dir, path))
        if add["size"] != on_disk:
            out.append(f"add {path}: size {add['size']}, the file has {on_disk} bytes")
        stats = json.loads(add["stats"])
        if stats.get("numRecords") != counts.get(path):
            out.append(f"add {path}: stats.numRecords {stats.get('numRecords')}, DuckDB reads {counts.get(path)} rows")
    return out
