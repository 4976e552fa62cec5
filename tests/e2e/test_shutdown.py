"""Graceful shutdown: SIGTERM while clients are posting exits 0 and keeps every acknowledged event."""

import signal
import time

import lagoa_harness as h
import load_clients as lc


class GracefulShutdownTest(h.ServerTestCase):
    start_class_server = False

    def test_sigterm_under_load_exits_zero_and_keeps_acknowledged_events(self):
        data_dir = self.tmp_path("data")
        server = self.start_server(data_dir=data_dir)
        server.create_stream("graceful", lc.SCHEMA, partitions=1)
        ref = lc.ServerRef()
        ref.set_up(server.port)
        clients, stop = lc.start_clients(ref, "graceful", h.SEED, count=4, batch_events=50, bad_fraction=0.2)
        try:
            want = h.scaled(5000)
            deadline = time.monotonic() + 60
            while lc.acked_events(clients) < want and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertGreater(lc.acked_events(clients), 0, "no request was acknowledged before SIGTERM")
            code, seconds, killed = server.stop(signal.SIGTERM, grace_s=30)
            ref.set_down()
        finally:
            lc.stop_clients(clients, stop)
        self.assertFalse(killed, f"server ignored SIGTERM for 30 s\n{server.stderr_tail()}")
        self.assertEqual(code, 0, f"SIGTERM must exit 0, got {code}\n{server.stderr_tail()}")
        verdict = lc.Verdict(clients)

        again = self.start_server(data_dir=data_dir)
        events = again.read_events("graceful")
        problems, summary = verdict.check_events(events)
        dead_problems, dead_summary = verdict.check_dead_letters(again.read_events("graceful.dlq"))
        print(f"\n[graceful] SIGTERM took {seconds:.2f} s; {summary} {dead_summary}", flush=True)
        self.assertEqual(problems + dead_problems, [])
        status, desc, _ = again.json("GET", "/v1/streams/graceful")
        self.assertEqual(desc["events"], len(events), desc)
        self.assertEqual(desc["dead_letter"]["events"], dead_summary["dlq_events"], desc)

    def test_sigterm_on_idle_server_is_quick(self):
        server = self.start_server()
        server.create_stream("idle", lc.SCHEMA)
        # An idle keep-alive connection must not hold up shutdown.
        req = h.RawRequest(server.port)
        try:
            req.send_head("GET", "/v1/health", {})
            status, _, _ = req.read_response()
            self.assertEqual(status, 200)
            code, seconds, killed = server.stop(signal.SIGTERM, grace_s=10)
        finally:
            req.close()
        self.assertEqual((code, killed), (0, False), server.stderr_tail())
        self.assertLess(seconds, 5.0, "an idle server should stop promptly")


if __name__ == "__main__":
    h.main()
