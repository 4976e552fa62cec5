"""Lake loading under sustained ingest: while clients keep one stream busy, another stream's events
must still reach its lake table, and table maintenance (compaction) must still run, within bounds
that follow from what the server documents: a partition gets at most LakeLoading::kPartitionPassBudget (10 s) per
pass, then the pass moves on (src/jobs/lake_loading.h).

History: before that budget the loader called LoadOnce until a call wrote nothing, so under
sustained ingest it never left the busy partition; measured then on the 2-core VM, with two
clients posting ~20 k events/s to one stream, one event posted to a second stream was not loaded
within 20 s (it was 3 s after the ingest stopped) and 396 small files were never compacted."""

import os
import time

import delta_check as dc
import lagoa_harness as h
import load_clients as lc

FLAGS = ["--lake-load-interval-ms", "100", "--lake-maintenance-interval-ms", "200"]
PASS_BUDGET_S = 10.0  # LakeLoading::kPartitionPassBudget
LOADED_WITHIN_S = 2 * PASS_BUDGET_S  # the busy partition's pass, then the quiet one's; plus slack
# Maintenance runs after a pass's loads once its interval is due: the pass under way when the
# busy table appeared (maintenance not yet due), the next pass's busy load, then the compaction
# of hundreds of small files.
COMPACTED_WITHIN_S = 4 * PASS_BUDGET_S


class LakeFairnessTest(h.ServerTestCase):
    start_class_server = False

    def setUp(self):
        """The server, a busy stream under two clients with its table created, and one event
        posted to a quiet stream."""
        super().setUp()
        self.data_dir = self.tmp_path("data")
        self.server = self.start_server(FLAGS, data_dir=self.data_dir)
        # quiet first: a pass loads the streams it listed when it began, so a pass that sees busy
        # must also see quiet (created after, it would wait for that pass and all of the next).
        self.server.create_stream("quiet", lc.SCHEMA, partitions=1)
        self.server.create_stream("busy", lc.SCHEMA, partitions=1)
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

    def test_a_quiet_stream_is_loaded_and_tables_compacted_while_another_is_busy(self):
        quiet_s = optimize_s = None
        while time.monotonic() - self.posted_at < COMPACTED_WITHIN_S and (quiet_s is None or optimize_s is None):
            if quiet_s is None and dc.DeltaLog(self.table("quiet")).txns.get("lagoa:quiet:0", -1) >= 0:
                quiet_s = time.monotonic() - self.posted_at
            busy = dc.DeltaLog(self.table("busy"))
            if optimize_s is None and any(a.get("commitInfo", {}).get("operation") == "OPTIMIZE"
                                          for v in busy.versions for a in busy.commits[v]):
                optimize_s = time.monotonic() - self.posted_at
            time.sleep(0.05)
        def seconds(value):
            return "never" if value is None else f"{value:.1f} s"

        print(f"\n[lake-fairness] busy: {lc.acked_events(self.clients)} events acknowledged; quiet loaded after "
              f"{seconds(quiet_s)} (limit {LOADED_WITHIN_S:.0f} s), busy compacted after {seconds(optimize_s)} "
              f"(limit {COMPACTED_WITHIN_S:.0f} s)",
              flush=True)
        self.assertTrue(quiet_s is not None and quiet_s <= LOADED_WITHIN_S,
                        f"the quiet stream's event is not in its table after {LOADED_WITHIN_S} s")
        self.assertIsNotNone(optimize_s, f"no compaction of the busy table within {COMPACTED_WITHIN_S} s")
        self.assertGreater(lc.acked_events(self.clients), 0)


if __name__ == "__main__":
    h.main()
