"""Lake loading under sustained ingest: while clients keep one stream busy, another stream's events
must still reach its lake table within a few load intervals, and table maintenance (compaction)
must still run.

KNOWN BUG (expected failure): src/server/lake_loading.cc's LoadPartition calls LoadOnce until a
call writes no file. Under sustained ingest every call finds new records, so the loader thread
never leaves the busy partition: other streams are not loaded, Maintain() never runs, and the
partition's committed offset (what the retention guard returns) is only updated when the loop
ends. Measured on the 2-core VM: with two clients posting ~20 k events/s to one stream, one event
posted to a second stream was not loaded within 20 s (it was, 3 s after the ingest stopped), and
396 small files were never compacted. Remove the expectedFailure once a partition's pass is
bounded (e.g. up to the partition's end offset when the pass began)."""

import os
import time
import unittest

import delta_check as dc
import lagoa_harness as h
import load_clients as lc

FLAGS = ["--lake-load-interval-ms", "100", "--lake-maintenance-interval-ms", "200"]
LOADED_WITHIN_S = 5.0  # 50 load intervals


class LakeFairnessTest(h.ServerTestCase):
    start_class_server = False

    @unittest.expectedFailure
    def test_a_quiet_stream_is_loaded_and_tables_compacted_while_another_is_busy(self):
        data_dir = self.tmp_path("data")
        server = self.start_server(FLAGS, data_dir=data_dir)
        server.create_stream("busy", lc.SCHEMA, partitions=1)
        server.create_stream("quiet", lc.SCHEMA, partitions=1)
        ref = lc.ServerRef()
        ref.set_up(server.port)
        clients, stop = lc.start_clients(ref, "busy", h.SEED, count=2, batch_events=50, bad_fraction=0.0,
                                         big_batch_events=1000, big_fraction=0.05)
        try:
            deadline = time.monotonic() + 30
            while dc.DeltaLog(os.path.join(data_dir, "lake", "busy")).latest() is None:
                self.assertLess(time.monotonic(), deadline, f"busy is never loaded\n{server.stderr_tail()}")
                time.sleep(0.05)
            status, reply, _ = server.post_events("quiet", '{"id": 1, "client": 0, "payload": "q"}\n')
            self.assertEqual(status, 200, reply)
            t0 = time.monotonic()
            quiet_s = optimize_s = None
            while time.monotonic() - t0 < LOADED_WITHIN_S and (quiet_s is None or optimize_s is None):
                if quiet_s is None and dc.DeltaLog(os.path.join(data_dir, "lake", "quiet")).txns.get("lagoa:quiet:0", -1) >= 0:
                    quiet_s = time.monotonic() - t0
                busy = dc.DeltaLog(os.path.join(data_dir, "lake", "busy"))
                if optimize_s is None and any(a.get("commitInfo", {}).get("operation") == "OPTIMIZE"
                                              for v in busy.versions for a in busy.commits[v]):
                    optimize_s = time.monotonic() - t0
                time.sleep(0.05)
            busy_ingested = lc.acked_events(clients)
        finally:
            lc.stop_clients(clients, stop)
        print(f"\n[lake-fairness] busy: {busy_ingested} events acknowledged; quiet loaded after {quiet_s} s, "
              f"busy compacted after {optimize_s} s (limit {LOADED_WITHIN_S} s)", flush=True)
        self.assertIsNotNone(quiet_s, f"the quiet stream's event is not in its table after {LOADED_WITHIN_S} s")
        self.assertIsNotNone(optimize_s, f"no compaction of the busy table within {LOADED_WITHIN_S} s")


if __name__ == "__main__":
    h.main()
