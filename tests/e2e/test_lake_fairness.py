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

    def setUp(self):
        """Everything but the measurement, so that only the known bug is the expected failure (a
        failure here is an error the decorator does not hide): the server, a busy stream under
        two clients with its table created, and one event posted to a quiet stream."""
        super().setUp()
        self.data_dir = self.tmp_path("data")
        self.server = self.start_server(FLAGS, data_dir=self.data_dir)
        self.server.create_stream("busy", lc.SCHEMA, partitions=1)
        self.server.create_stream("quiet", lc.SCHEMA, partitions=1)
        ref = lc.ServerRef()
        ref.set_up(self.server.port)
        self.clients, stop = lc.start_clients(ref, "busy", h.SEED, count=2, batch_events=50, bad_fraction=0.0,
                                              big_batch_events=1000, big_fraction=0.05)
        self.addCleanup(lc.stop_clients, self.clients, stop)
        deadline = time.monotonic() + 30
        while dc.DeltaLog(self.table("busy")).latest() is None:
            self.assertLess(time.monotonic(), deadline, f"busy is never loaded\n{self.server.stderr_tail()}")
            time.sleep(0.05)
        status, reply, _ = self.server.post_events("quiet", '{"id": 1, "client": 0, "payload": "q"}\n')
        self.assertEqual(status, 200, reply)
        self.posted_at = time.monotonic()

    def table(self, stream):
        return os.path.join(self.data_dir, "lake", stream)

    @unittest.expectedFailure
    def test_a_quiet_stream_is_loaded_and_tables_compacted_while_another_is_busy(self):
        quiet_s = optimize_s = None
        while time.monotonic() - self.posted_at < LOADED_WITHIN_S and (quiet_s is None or optimize_s is None):
            if quiet_s is None and dc.DeltaLog(self.table("quiet")).txns.get("lagoa:quiet:0", -1) >= 0:
                quiet_s = time.monotonic() - self.posted_at
            busy = dc.DeltaLog(self.table("busy"))
            if optimize_s is None and any(a.get("commitInfo", {}).get("operation") == "OPTIMIZE"
                                          for v in busy.versions for a in busy.commits[v]):
                optimize_s = time.monotonic() - self.posted_at
            time.sleep(0.05)
        print(f"\n[lake-fairness] busy: {lc.acked_events(self.clients)} events acknowledged; quiet loaded after "
              f"{quiet_s} s, busy compacted after {optimize_s} s (limit {LOADED_WITHIN_S} s)", flush=True)
        self.assertIsNotNone(quiet_s, f"the quiet stream's event is not in its table after {LOADED_WITHIN_S} s")
        self.assertIsNotNone(optimize_s, f"no compaction of the busy table within {LOADED_WITHIN_S} s")


if __name__ == "__main__":
    h.main()
