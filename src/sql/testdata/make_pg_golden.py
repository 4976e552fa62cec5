#!/usr/bin/env python3
"""Writes pg_expected.tsv: for each case of pg_cases.tsv, what a real PostgreSQL server prints
(text output) and sends (binary output of the type's *send function) for the PostgreSQL
expression. result_chunk_test.cc compares ResultChunk's AppendPgText / AppendPgBinary with it.

Usage: src/sql/testdata/make_pg_golden.py  (needs PostgreSQL 15's initdb, pg_ctl and psql;
run as root it starts the throwaway server as the `postgres` user.)

The server is started in a temporary directory on a Unix socket only, with the session settings
lagoa's PostgreSQL front door announces: DateStyle ISO, IntervalStyle postgres, TimeZone UTC,
extra_float_digits 1, bytea_output hex. Values are hex-encoded so any byte survives the file.
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
PORT = "54329"


def run_as_server_user(args, **kwargs):
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--"] + args
    return subprocess.run(args, check=True, **kwargs)


def psql(socket_dir, sql):
    env = dict(os.environ)
    env["PGOPTIONS"] = ("-c DateStyle=ISO,MDY -c IntervalStyle=postgres -c TimeZone=UTC "
                        "-c extra_float_digits=1 -c bytea_output=hex")
    out = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", socket_dir, "-p", PORT,
                          "-U", "postgres", "-d", "postgres", "-At", "-F", "\t", "-c", sql],
                         check=True, capture_output=True, text=True, env=env)
    return out.stdout.rstrip("\n")


def main():
    cases = []
    with open(os.path.join(HERE, "pg_cases.tsv"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                cases.append(line.split("\t"))
    tmp = tempfile.mkdtemp(prefix="lagoa-pg-")
    os.chmod(tmp, 0o777)
    data = os.path.join(tmp, "data")
    try:
        run_as_server_user([f"{PG_BIN}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                            "--no-locale"], stdout=subprocess.DEVNULL)
        run_as_server_user([f"{PG_BIN}/pg_ctl", "-D", data, "-w", "-l", os.path.join(tmp, "log"), "-o",
                            f"-k {tmp} -p {PORT} -c listen_addresses=''", "start"], stdout=subprocess.DEVNULL)
        try:
            version = psql(tmp, "SHOW server_version")
            rows = [f"# written by make_pg_golden.py from pg_cases.tsv against PostgreSQL {version}",
                    "# name\tPostgreSQL expression\ttype OID\thex of the text output\thex of the binary output"]
            # One query per case and line: first each type's output and send functions, then the values.
            functions = psql(tmp, ";\n".join(
                f"SELECT t.typoutput, t.typsend FROM pg_type t WHERE t.oid = pg_typeof({pg})"
                for _name, _duck, pg in cases)).split("\n")
            assert len(functions) == len(cases)
            values = psql(tmp, ";\n".join(
                f"SELECT pg_typeof(v)::oid, encode(convert_to({out}(v)::text, 'UTF8'), 'hex'), "
                f"encode({send}(v), 'hex') FROM (SELECT {pg} AS v) s"
                for (_name, _duck, pg), (out, send) in zip(cases, (f.split("\t") for f in functions)))).split("\n")
            assert len(values) == len(cases)
            for (name, _duck, pg), row in zip(cases, values):
                rows.append(f"{name}\t{pg}\t{row}")
        finally:
            run_as_server_user([f"{PG_BIN}/pg_ctl", "-D", data, "-m", "fast", "stop"], stdout=subprocess.DEVNULL)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with open(os.path.join(HERE, "pg_expected.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    print(f"wrote {len(rows) - 2} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
