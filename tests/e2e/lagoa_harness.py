"""Shared helpers for lagoa's end-to-end tests: start the real `lagoa` binary, talk HTTP to it.

Every test script imports this module and ends with `lagoa_harness.main()`.

Environment:
  LAGOA_BIN          path of the `lagoa` binary (required; CTest passes $<TARGET_FILE:lagoa>)
  LAGOA_TEST_TMPDIR  parent directory for temporary data directories (default: the system's)
  LAGOA_E2E_SCALE    multiplies loop sizes and event counts (default 1.0; use <1 under ASan)
  LAGOA_E2E_SEED     seed of the random generators (default 20261125)
  LAGOA_E2E_KEEP     if set, temporary directories are kept for inspection

Servers are started with `--http 127.0.0.1:0`; the port is read from the one stdout line
`lagoa is ready: http://127.0.0.1:PORT (data: DIR) (postgres: 127.0.0.1:PORT)`. Each server's stderr goes to a file whose tail
is printed when a test fails. Servers are spawned through `setpriv --pdeathsig KILL` when
available, so a test runner killed by a timeout does not leave servers behind; because the death
signal follows the spawning *thread*, servers must be spawned from the main thread.
"""

import datetime
import decimal
import gzip
import http.client
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

SCALE = float(os.environ.get("LAGOA_E2E_SCALE", "1.0") or "1.0")
SEED = int(os.environ.get("LAGOA_E2E_SEED", "20261125") or "20261125")
READY_TIMEOUT_S = 90.0  # startup includes log recovery and DuckDB initialisation; ASan is slow
STOP_GRACE_S = 10.0  # SIGTERM, then SIGKILL after this long
HTTP_TIMEOUT_S = 60.0
READY_RE = re.compile(r"^lagoa is ready: (http://127\.0\.0\.1:(\d+)) \(data: (.*?)\)"
                      r"(?: \(postgres: 127\.0\.0\.1:(\d+)\))?$")
SERVER_TEST_FLAGS = ["--free-space-min-bytes", "0", "--free-space-min-percent", "0"]


def tmp_root():
    """Where tests make their directories: Delta tables they attach live there."""
    return os.environ.get("LAGOA_TEST_TMPDIR") or tempfile.gettempdir()


def binary():
    path = os.environ.get("LAGOA_BIN")
    if not path:
        sys.exit("LAGOA_BIN is not set: point it at the lagoa binary")
    if not os.access(path, os.X_OK):
        sys.exit(f"LAGOA_BIN={path} is not an executable file")
    return path


def scaled(n, minimum=1):
    return max(minimum, int(round(n * SCALE)))


def clean_env(extra=None):
    """The process environment without LAGOA_* variables (so a developer's settings cannot leak
    into a test), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAGOA_")}
    env.update(extra or {})
    return env


def make_tmpdir(prefix):
    parent = os.environ.get("LAGOA_TEST_TMPDIR") or None
    if parent:
        os.makedirs(parent, exist_ok=True)
    return tempfile.mkdtemp(prefix=f"lagoa-e2e-{prefix}-", dir=parent)


def remove_tmpdir(path):
    if os.environ.get("LAGOA_E2E_KEEP"):
        print(f"[harness] keeping {path}", file=sys.stderr)
        return
    shutil.rmtree(path, ignore_errors=True)


class ServerStartError(Exception):
    pass


class LagoaServer:
    """One `lagoa server` process. `start()` blocks until the ready line; `stop()` sends SIGTERM
    (SIGKILL after STOP_GRACE_S) and returns the exit code; `kill()` sends SIGKILL."""

    _counter = 0
    _counter_lock = threading.Lock()

    def __init__(self, data_dir, log_dir, extra_args=(), env=None, http="127.0.0.1:0",
                 test_flags=True, cwd=None):
        self.data_dir = data_dir  # relative to `cwd` (the server's working directory) when not absolute
        self.cwd = cwd
        self.log_dir = log_dir
        self.extra_args = list(extra_args)
        self.env = dict(env or {})
        self.http = http
        self.test_flags = test_flags
        self.proc = None
        self.url = None
        self.port = None
        self.pg_port = None
        self.ready_data_dir = None
        self.stdout_lines = []
        self.stderr_path = None
        self.exit_code = None
        self.starts = 0

    # ---- lifecycle -------------------------------------------------------------------------
    def command(self):
        cmd = [binary(), "server", "--data-dir", self.data_dir, "--http", self.http]
        if self.test_flags:
            cmd += SERVER_TEST_FLAGS
        if "--pg" not in self.extra_args:
            cmd += ["--pg", "127.0.0.1:0"]  # servers run side by side: never the fixed 5433
        if self.test_flags and "--attach-dirs" not in self.extra_args:
            cmd += ["--attach-dirs", tmp_root()]  # tests attach tables they write to their temporary folders
        return cmd + self.extra_args

    def spawn(self):
        """Starts the process without waiting for the ready line."""
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("spawn servers from the main thread (parent-death signal is per thread)")
        assert self.proc is None or self.proc.poll() is not None, "server already running"
        with LagoaServer._counter_lock:
            LagoaServer._counter += 1
            n = LagoaServer._counter
        self.starts += 1
        os.makedirs(os.path.join(self.cwd or ".", self.data_dir), exist_ok=True)
        self.stderr_path = os.path.join(self.log_dir, f"server-{n}.stderr")
        self.url = self.port = self.pg_port = self.ready_data_dir = None
        self.exit_code = None
        self.stdout_lines = []
        prefix = ["setpriv", "--pdeathsig", "KILL", "--"] if shutil.which("setpriv") else []
        stderr = open(self.stderr_path, "wb")
        try:
            self.proc = subprocess.Popen(prefix + self.command(), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=stderr,
                                         env=clean_env(self.env), cwd=self.cwd)
        finally:
            stderr.close()
        self._lines = queue.Queue()
        proc, lines, sink = self.proc, self._lines, self.stdout_lines

        def pump():
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                sink.append(line)
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True, name=f"stdout-{n}").start()

    def wait_ready(self, timeout=READY_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServerStartError(f"no ready line within {timeout:.0f} s\n{self.stderr_tail()}")
            try:
                line = self._lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                code = self.proc.wait()
                self.exit_code = code
                raise ServerStartError(
                    f"server exited with {code} before it was ready; stdout={self.stdout_lines!r}\n"
                    f"{self.stderr_tail()}")
            m = READY_RE.match(line)
            if m:
                self.url, self.port, self.ready_data_dir = m.group(1), int(m.group(2)), m.group(3)
                self.pg_port = int(m.group(4)) if m.group(4) else None
                return self

    def start(self):
        self.spawn()
        try:
            return self.wait_ready()
        except Exception:
            self.kill()
            raise

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, grace_s=STOP_GRACE_S):
        """Sends `sig`, waits up to grace_s, then SIGKILLs. Returns (exit_code, seconds, killed)."""
        if self.proc is None:
            return None, 0.0, False
        t0 = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        killed = False
        try:
            code = self.proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
            killed = True
        self.exit_code = code
        return code, time.monotonic() - t0, killed

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        if self.proc is not None:
            self.exit_code = self.proc.wait()
        return self.exit_code

    def stderr_text(self):
        if not self.stderr_path or not os.path.exists(self.stderr_path):
            return ""
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stderr_tail(self, lines=60):
        text = self.stderr_text().splitlines()
        tail = "\n".join(text[-lines:])
        return f"---- stderr tail of {self.describe()} ----\n{tail}\n---- end ----"

    def describe(self):
        state = "running" if self.running() else f"exit={self.exit_code}"
        return f"lagoa server {self.url or '(not ready)'} data={self.data_dir} ({state})"

    # ---- HTTP ------------------------------------------------------------------------------
    def request(self, method, path, body=None, headers=None, timeout=HTTP_TIMEOUT_S):
        return http_request(self.port, method, path, body, headers, timeout)

    def json(self, method, path, body=None, headers=None, timeout=HTTP_TIMEOUT_S):
        """Request whose answer must be JSON; returns (status, parsed body, headers)."""
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            headers = {"Content-Type": "application/json", **(headers or {})}
        status, resp_headers, data = self.request(method, path, body, headers, timeout)
        try:
            parsed = json.loads(data, parse_float=decimal.Decimal) if data else None
        except ValueError as e:
            raise AssertionError(f"{method} {path} -> {status}: body is not JSON ({e}): {data[:500]!r}")
        return status, parsed, resp_headers

    def create_stream(self, name, schema=None, infer=False, event_time=None, partitions=None,
                      expect=201):
        body = {}
        if schema is not None:
            body["schema"] = schema
        if infer:
            body["infer"] = True
        if event_time is not None:
            body["event_time"] = event_time
        if partitions is not None:
            body["partitions"] = partitions
        status, parsed, _ = self.json("PUT", f"/v1/streams/{quote(name)}", body)
        if expect is not None and status != expect:
            raise AssertionError(f"PUT /v1/streams/{name} {body} -> {status} {parsed}, expected {expect}")
        return status, parsed

    def post_events(self, name, body, content_type="application/x-ndjson", encoding=None,
                    headers=None):
        hdrs = {"Content-Type": content_type}
        if encoding:
            hdrs["Content-Encoding"] = encoding
        hdrs.update(headers or {})
        return self.json("POST", f"/v1/streams/{quote(name)}/events", body, hdrs)

    def read_events(self, name, partition=0, start=0, limit=None, page=10000):
        """Every event from `start` (to the end, or `limit` events) as parsed dicts, following
        Lagoa-Next-Offset."""
        out = []
        offset = start
        while limit is None or len(out) < limit:
            want = page if limit is None else min(page, limit - len(out))
            status, headers, data = self.request(
                "GET", f"/v1/streams/{quote(name)}/events?from={offset}&partition={partition}&limit={want}")
            if status != 200:
                raise AssertionError(f"GET events of {name} from {offset} -> {status}: {data[:300]!r}")
            lines = parse_ndjson(data)
            out.extend(lines)
            next_offset = headers.get("lagoa-next-offset")
            if next_offset is None:
                raise AssertionError("GET events: no Lagoa-Next-Offset header")
            if not lines:
                break
            if int(next_offset) <= offset:
                raise AssertionError(f"Lagoa-Next-Offset {next_offset} does not advance past {offset}")
            offset = int(next_offset)
        return out

    def health(self):
        return self.json("GET", "/v1/health", timeout=30)

    def metrics(self):
        status, headers, data = self.request("GET", "/metrics")
        if status != 200:
            raise AssertionError(f"GET /metrics -> {status}")
        return data.decode("utf-8"), headers


def quote(name):
    return urllib.parse.quote(name, safe="")


def http_request(port, method, path, body=None, headers=None, timeout=HTTP_TIMEOUT_S):
    """One request on a fresh connection. Returns (status, {lower-case header: value}, body)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def parse_ndjson(data):
    text = data.decode("utf-8")  # strict: the server must only write valid UTF-8
    return [json.loads(line, parse_float=decimal.Decimal) for line in text.split("\n") if line.strip()]


def gzip_bytes(data):
    return gzip.compress(data)


def zstd_bytes(data):
    return subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout


def parse_time(text):
    """An RFC 3339 string as an aware datetime (naive ones are taken as UTC)."""
    value = datetime.datetime.fromisoformat(text.replace("z", "Z"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value


def parse_metrics(text):
    """Prometheus text → {(name, frozenset(label items)): float}."""
    out = {}
    line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = line_re.match(line)
        if not m:
            raise AssertionError(f"not a Prometheus sample line: {line!r}")
        labels = frozenset(label_re.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


class RawRequest:
    """An HTTP request written by hand on a socket, for bodies sent in parts or never finished."""

    def __init__(self, port, timeout=HTTP_TIMEOUT_S):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)

    def send(self, data):
        self.sock.sendall(data)

    def send_head(self, method, path, headers):
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        self.send(head.encode("ascii"))

    def read_response(self, timeout=HTTP_TIMEOUT_S):
        """Reads one response (status, headers, body); the body by Content-Length or to EOF."""
        self.sock.settimeout(timeout)
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed before a full response head: {buf!r}")
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        length = int(headers.get("content-length", "-1"))
        while length < 0 or len(rest) < length:
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            rest += chunk
        return status, headers, rest if length < 0 else rest[:length]

    def response_ready(self, timeout):
        """True if the server sent something (or closed) within `timeout` seconds."""
        import select
        readable, _, _ = select.select([self.sock], [], [], timeout)
        return bool(readable)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def post_raw(port, path, headers, body, early_wait_s=2.0):
    """Sends the head, then (unless the server already answered) the body; returns the response.
    Lets a server that refuses on Content-Length alone answer before the body is written."""
    req = RawRequest(port)
    try:
        req.send_head("POST", path, headers)
        if not req.response_ready(early_wait_s):
            try:
                req.send(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered and closed; the answer is read below
        return req.read_response()
    finally:
        req.close()


def write_files(root, files):
    """Writes {relative path: text} under `root` (a project folder, say); returns `root`."""
    for relative, text in files.items():
        path = os.path.join(root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return root


def run_cli(args, url=None, input=None, env=None, timeout=120):
    """Runs `lagoa ARGS…` (with --url URL appended when given); returns CompletedProcess (bytes)."""
    cmd = [binary()] + list(args)
    if url is not None:
        cmd += ["--url", url]
    return subprocess.run(cmd, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=clean_env(env), timeout=timeout)


class ServerTestCase(unittest.TestCase):
    """Base class. `cls.server` is a class-wide server (started in setUpClass when
    `start_class_server` is true); `self.start_server()` starts more, stopped after the test.

    When a server is stopped with SIGTERM at cleanup, its exit code must be 0 and it must exit
    within STOP_GRACE_S: every test thereby also checks the graceful shutdown contract."""

    start_class_server = True
    class_server_args = ()

    @classmethod
    def setUpClass(cls):
        cls._class_tmp = make_tmpdir(cls.__name__.lower())
        cls._class_servers = []
        cls.server = None
        if cls.start_class_server:
            cls.server = cls._new_server(cls._class_tmp, cls._class_servers, list(cls.class_server_args))
            try:
                cls.server.start()
            except Exception:
                remove_tmpdir(cls._class_tmp)
                raise

    @classmethod
    def tearDownClass(cls):
        try:
            problems = []
            for s in cls._class_servers:
                if s.running():
                    code, seconds, killed = s.stop()
                    if killed or code != 0:
                        problems.append(f"{s.describe()}: SIGTERM gave exit {code} after {seconds:.1f} s"
                                        f"{' (needed SIGKILL)' if killed else ''}\n{s.stderr_tail()}")
            if problems:
                raise AssertionError("graceful shutdown failed:\n" + "\n".join(problems))
        finally:
            remove_tmpdir(cls._class_tmp)

    @staticmethod
    def _new_server(tmp, registry, extra_args, env=None, data_dir=None, test_flags=True):
        if data_dir is None:
            data_dir = tempfile.mkdtemp(prefix="data-", dir=tmp)
        s = LagoaServer(data_dir, tmp, extra_args, env, test_flags=test_flags)
        registry.append(s)
        return s

    def setUp(self):
        self._tmp = make_tmpdir(self._testMethodName.lower())
        self._servers = []
        self._saved_tails = []
        self.addCleanup(self._cleanup)

    def tmp_path(self, *parts):
        return os.path.join(self._tmp, *parts)

    def new_server(self, extra_args=(), env=None, data_dir=None, test_flags=True):
        """A server object (not started) owned by this test."""
        return self._new_server(self._tmp, self._servers, list(extra_args), env, data_dir, test_flags)

    def start_server(self, extra_args=(), env=None, data_dir=None):
        return self.new_server(extra_args, env, data_dir).start()

    def _cleanup(self):
        problems = []
        for s in self._servers:
            self._saved_tails.append(s.stderr_tail())
            if s.running():
                code, seconds, killed = s.stop()
                if killed or code != 0:
                    problems.append(f"{s.describe()}: SIGTERM gave exit {code} after {seconds:.1f} s"
                                    f"{' (needed SIGKILL)' if killed else ''}\n{s.stderr_tail()}")
        remove_tmpdir(self._tmp)
        if problems:
            self.fail("graceful shutdown failed:\n" + "\n".join(problems))

    def server_log_tails(self):
        tails = []
        for s in getattr(self, "_servers", []):
            tails.append(s.stderr_tail())
        if not tails:
            tails = list(getattr(self, "_saved_tails", []))
        for s in getattr(type(self), "_class_servers", []):
            tails.append(s.stderr_tail())
        return tails

    # ---- assertions ------------------------------------------------------------------------
    def assert_error_body(self, status, body, expected_status, context=""):
        self.assertEqual(status, expected_status, f"{context}: expected HTTP {expected_status}, got {status} {body}")
        self.assertIsInstance(body, dict, f"{context}: error body must be a JSON object, got {body!r}")
        self.assertIsInstance(body.get("error"), str, f"{context}: error body lacks an 'error' string: {body}")
        self.assertTrue(body["error"].strip(), f"{context}: empty error message: {body}")
        self.assertEqual(body.get("status"), expected_status, f"{context}: error body status field: {body}")
        return body["error"]

    def assert_healthy(self, server=None, context=""):
        server = server or self.server
        self.assertTrue(server.running(), f"{context}: server process died (exit {server.proc.poll()})\n"
                                          f"{server.stderr_tail()}")
        status, body, _ = server.health()
        self.assertEqual(status, 200, f"{context}: /v1/health -> {status} {body}")
        self.assertEqual(body.get("status"), "ok", f"{context}: /v1/health -> {body}")
        self.assertIs(body.get("log_failed"), False, f"{context}: /v1/health -> {body}")


class _Result(unittest.TextTestResult):
    def _print_tails(self, test):
        tails = getattr(test, "server_log_tails", None)
        if tails is None:
            return
        try:
            for tail in tails():
                self.stream.writeln(tail)
        except Exception as e:  # never hide the original failure
            self.stream.writeln(f"(could not read server stderr: {e})")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._print_tails(test)

    def addError(self, test, err):
        super().addError(test, err)
        self._print_tails(test)


def main():
    binary()
    print(f"[harness] LAGOA_BIN={os.environ['LAGOA_BIN']} scale={SCALE} seed={SEED}", flush=True)
    t0 = time.monotonic()
    program = unittest.main(testRunner=unittest.TextTestRunner(resultclass=_Result, verbosity=2),
                            exit=False)
    print(f"[harness] {time.monotonic() - t0:.1f} s", flush=True)
    result = program.result
    ok = result.wasSuccessful() and result.testsRun > 0
    sys.exit(0 if ok else 1)
