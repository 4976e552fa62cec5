"""Hostile and careless clients against the real binary (issue 13, section 3): bodies announced but
never sent, floods of idle HTTP and PostgreSQL connections, one address taking every connection,
and connections left idle. Each front door keeps serving the health check, new clients and the
clients already connected, and every refusal names the limit and its key. Timeouts are set short
so that the whole file runs in a few seconds; connections come from several loopback addresses
(127.0.x.y) so that per-address and total limits can be told apart."""
import http.client
import json
import os
import resource
import select
import shutil
import socket
import struct
import time

import lagoa_harness as h
from test_sql import psql, sql

HTTP_TOTAL_MAX = 50
HTTP_PER_IP_MAX = 20
PG_TOTAL_MAX = 40
PG_PER_IP_MAX = 10
IDLE_TIMEOUT_S = 3.0
LIMIT_FLAGS = [
    "--max-connections", str(HTTP_TOTAL_MAX),
    "--http-connections-per-ip-max", str(HTTP_PER_IP_MAX),
    "--http-header-timeout-ms", "2000",
    "--http-body-timeout-ms", "2000",
    "--http-idle-timeout-ms", str(int(IDLE_TIMEOUT_S * 1000)),
    "--pg-connections-max", str(PG_TOTAL_MAX),
    "--pg-connections-per-ip-max", str(PG_PER_IP_MAX),
    "--pg-startup-timeout-ms", "2000",
    "--pg-idle-timeout-ms", str(int(IDLE_TIMEOUT_S * 1000)),
]


def connect(port, source="127.0.0.1"):
    return socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))


def closed_within(sock, seconds):
    """True when the server closes `sock` (EOF or reset) within `seconds`; what it sends first (an
    error message) is read and dropped."""
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        readable, _, _ = select.select([sock], [], [], left)
        if not readable:
            continue
        try:
            if not sock.recv(65536):
                return True
        except OSError:
            return True


def read_http_response(sock):
    """(status, parsed JSON body) of one Content-Length framed response."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response head: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int([line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")][0])
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(head.split()[1]), json.loads(body[:length])


def pg_session(port, source):
    """A PostgreSQL connection that completed startup (trust), read up to ReadyForQuery."""
    sock = connect(port, source)
    params = b"user\0x\0database\0lagoa\0\0"
    sock.sendall(struct.pack("!II", 8 + len(params), 196608) + params)
    kind, body = read_pg_message(sock)
    while kind != b"Z":
        if kind == b"E":
            raise AssertionError(f"startup from {source} failed: {pg_error(body)}")
        kind, body = read_pg_message(sock)
    return sock


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError(f"closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def read_pg_message(sock):
    kind, length = struct.unpack("!cI", read_exact(sock, 5))
    return kind, read_exact(sock, length - 4)


def pg_error(body):
    """An ErrorResponse's fields: {"C": SQLSTATE, "M": message, "S": severity …}."""
    return {field[:1]: field[1:] for field in body.decode().split("\0") if field}


def ingest_memory_held(server):
    text, _ = server.metrics()
    return h.parse_metrics(text)[("lagoa_memory_used_bytes", frozenset({("share", "ingest")}))]


class FrontDoorLimitsTest(h.ServerTestCase):
    class_server_args = LIMIT_FLAGS

    def closing(self, sockets):
        self.addCleanup(lambda: [s.close() for s in sockets])
        return sockets

    def test_bodies_announced_but_not_sent_hold_no_memory_budget(self):
        s = self.server
        s.create_stream("announced", "id BIGINT")
        # 16 x 16 MiB announced is the whole default budget (256 MiB); each sends one byte.
        stalled = self.closing([connect(s.port, "127.0.1.1") for _ in range(16)])
        for sock in stalled:
            sock.sendall(b"POST /v1/streams/announced/events HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/x-ndjson\r\nContent-Length: 16777216\r\n\r\n{")
        time.sleep(0.3)  # the server has read their heads
        self.assertLess(ingest_memory_held(s), 4 << 20, "memory follows the bytes sent, not Content-Length")
        status, reply, _ = s.post_events("announced", '{"id": 1}\n')
        self.assertEqual(status, 200, reply)
        status, body, _ = sql(s, "SELECT count(*) AS n FROM announced")
        self.assertEqual(status, 200, body)
        # A body that stalls is closed after http_body_timeout_ms, and what it held is freed.
        self.assertTrue(all(closed_within(sock, 8) for sock in stalled), "stalled bodies were not closed")
        deadline = time.monotonic() + 5
        while ingest_memory_held(s) > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(ingest_memory_held(s), 0)

    def test_a_flood_of_idle_http_connections_leaves_room_for_health_new_and_connected_clients(self):
        s = self.server
        connected = self.closing([connect(s.port)])[0]
        connected.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(read_http_response(connected)[0], 200)
        # 80 connections that send nothing, from four addresses: more than max_connections (50).
        flood = self.closing([connect(s.port, f"127.0.2.{1 + i % 4}") for i in range(80)])
        self.assertEqual(len(flood), 80)
        status, body, _ = s.health()
        self.assertEqual(status, 200, body)
        status, body, _ = sql(s, "SELECT 42 AS answer")
        self.assertEqual((status, json.loads(body)["rows"]), (200, [[42]]), body)
        # Connections that never sent a request went first: the kept-alive one still serves.
        connected.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(read_http_response(connected)[0], 200)
        evicted = h.parse_metrics(s.metrics()[0])[("lagoa_http_connections_evicted_total", frozenset())]
        self.assertGreaterEqual(evicted, 1 + 80 - HTTP_TOTAL_MAX)

    def test_a_flood_of_idle_pg_connections_leaves_room_for_psql(self):
        if shutil.which("psql") is None:
            raise AssertionError("psql is missing (Debian: postgresql-client; scripts/bootstrap installs it)")
        s = self.server
        # 70 sockets that never send a startup packet from eight addresses (more than
        # pg_connections_max, 40), and 12 from psql's own address (more than its 10).
        flood = self.closing([connect(s.pg_port, f"127.0.3.{1 + i % 8}") for i in range(70)] +
                             [connect(s.pg_port) for _ in range(12)])
        started = time.monotonic()
        r = psql(s, "SELECT 1")
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "1"), r.stderr)
        self.assertLess(time.monotonic() - started, 2.0, "psql got in before the startup timeout cleared the flood")
        # What the eviction left is closed by pg_startup_timeout_ms.
        self.assertTrue(all(closed_within(sock, 8) for sock in flood), "idle startups were not closed")

    def test_one_address_at_its_limit_is_refused_naming_the_limit(self):
        s = self.server
        # HTTP: every connection of 127.0.4.1 is reading a request body, so none can make room.
        busy = self.closing([connect(s.port, "127.0.4.1") for _ in range(HTTP_PER_IP_MAX)])
        for sock in busy:
            sock.sendall(b"POST /v1/sql HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nS")
        time.sleep(0.3)
        refused = self.closing([connect(s.port, "127.0.4.1")])[0]
        status, body = read_http_response(refused)  # answered at accept: nothing needs to be sent
        self.assertEqual(status, 503, body)
        for part in ("127.0.4.1", str(HTTP_PER_IP_MAX), "http_connections_per_ip_max"):
            self.assertIn(part, body["error"])
        other = self.closing([connect(s.port, "127.0.4.2")])[0]
        other.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(read_http_response(other)[0], 200)
        # PostgreSQL: logged-in sessions are never evicted; the next one is refused with 53300.
        self.closing([pg_session(s.pg_port, "127.0.5.1") for _ in range(PG_PER_IP_MAX)])
        refused = self.closing([connect(s.pg_port, "127.0.5.1")])[0]
        kind, body = read_pg_message(refused)
        error = pg_error(body)
        self.assertEqual((kind, error.get("C")), (b"E", "53300"), error)
        for part in ("127.0.5.1", str(PG_PER_IP_MAX), "pg_connections_per_ip_max"):
            self.assertIn(part, error["M"])

    def test_idle_connections_close_after_the_idle_timeout(self):
        s = self.server
        http_idle = self.closing([connect(s.port, "127.0.6.1")])[0]
        http_idle.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(read_http_response(http_idle)[0], 200)
        pg_idle = self.closing([pg_session(s.pg_port, "127.0.6.1")])[0]
        started = time.monotonic()
        self.assertTrue(closed_within(http_idle, IDLE_TIMEOUT_S + 5), "the kept-alive HTTP connection stayed open")
        self.assertGreater(time.monotonic() - started, IDLE_TIMEOUT_S - 1)
        kind, body = read_pg_message(pg_idle)
        error = pg_error(body)
        self.assertEqual((kind, error.get("C"), error.get("S")), (b"E", "57P05", "FATAL"), error)
        self.assertIn("pg_idle_timeout_ms", error["M"])
        self.assertTrue(closed_within(pg_idle, 2))


class OpenFilesLimitTest(h.ServerTestCase):
    start_class_server = False

    def soft_limit_of(self, hard):
        """The soft open-files limit of a server started with soft 512 and `hard`, and its stderr."""
        server = self.new_server(["--max-connections", "10000", "--pg-connections-max", "64"])
        base_command = server.command
        server.command = lambda: ["prlimit", f"--nofile=512:{hard}", "--"] + base_command()
        server.start()
        with open(f"/proc/{server.proc.pid}/limits") as f:
            line = next(line for line in f if line.startswith("Max open files"))
        soft = int(line.split()[3])
        server.stop()
        return soft, server.stderr_text()

    def test_the_server_raises_its_open_files_limit_to_what_its_connections_need(self):
        # The usual soft limit (1,024, here 512) is below max_connections: at 512 the server could
        # hold about 400 connections, whatever max_connections says.
        needed = 10000 + 64 + 4096
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        if hard != resource.RLIM_INFINITY:
            needed_or_hard = min(needed, hard)
        else:
            needed_or_hard, hard = needed, needed * 2
        soft, stderr = self.soft_limit_of(hard)
        self.assertEqual(soft, needed_or_hard, stderr)
        soft, stderr = self.soft_limit_of(2000)
        self.assertEqual(soft, 2000)
        self.assertIn(f"the open-files limit is 2000 (its hard limit), below the {needed}", stderr)


if __name__ == "__main__":
    h.main()
