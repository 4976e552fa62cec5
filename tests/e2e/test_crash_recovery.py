"""The crash loop: four clients post continuously while the server is SIGKILLed and restarted 20
times on the same data directory. Every acknowledged event must survive exactly once, in order,
at the offset it was acknowledged with; dead letters of acknowledged requests must survive too.

Environment: LAGOA_E2E_SCALE scales the number of events (100,000 at 1.0); LAGOA_E2E_SEED picks
the kill moments; LAGOA_E2E_CRASH_BUDGET_S bounds the loaded time (default 150 s)."""

import os
import random
import signal
import time

import lagoa_harness as h
import load_clients as lc

KILLS = 20
EARLY_KILL_CHANCE = 0.2  # extra kills while a restarted server is still starting up
PROGRESS_TIMEOUT_S = 60.0


class CrashLoopTest(h.ServerTestCase):
    start_class_server = False

    def test_sigkill_loop_keeps_every_acknowledged_event_exactly_once(self):
        budget_s = float(os.environ.get("LAGOA_E2E_CRASH_BUDGET_S", "150"))
        target = h.scaled(100_000)
        rng = random.Random(h.SEED)
        thresholds = sorted(rng.uniform(0.02, 0.9) * target for _ in range(KILLS))
        data_dir = self.tmp_path("data")
        server = self.start_server(data_dir=data_dir)
        server.create_stream("crash", lc.SCHEMA, partitions=1)
        ref = lc.ServerRef()
        ref.set_up(server.port)
        clients, stop = lc.start_clients(ref, "crash", h.SEED, count=4, batch_events=50, bad_fraction=0.2)
        kills = early_kills = 0
        restart_s = []
        t_start = time.monotonic()
        try:
            for k in range(KILLS):
                self.wait_for_kill_moment(clients, ref.generation, thresholds[k],
                                          t_start + (k + 1) * budget_s / (KILLS + 1), k)
                time.sleep(rng.uniform(0.0, 0.05))
                ref.set_down()
                server.kill()
                kills += 1
                if rng.random() < EARLY_KILL_CHANCE:
                    server.spawn()
                    time.sleep(rng.uniform(0.0, 0.3))
                    server.kill()
                    early_kills += 1
                t0 = time.monotonic()
                server.start()
                restart_s.append(time.monotonic() - t0)
                self.check_after_restart(server, clients, k + 1)
                ref.set_up(server.port)
            while lc.acked_events(clients) < target and time.monotonic() < t_start + budget_s:
                time.sleep(0.05)
        finally:
            lc.stop_clients(clients, stop)
        loaded_s = time.monotonic() - t_start

        code, seconds, killed = server.stop(signal.SIGTERM, grace_s=30)
        self.assertEqual((code, killed), (0, False), f"final SIGTERM: exit {code} after {seconds:.1f} s\n{server.stderr_tail()}")
        server.start()
        verdict = lc.Verdict(clients)
        t0 = time.monotonic()
        events = server.read_events("crash")
        dead = server.read_events("crash.dlq")
        read_s = time.monotonic() - t0
        problems, summary = verdict.check_events(events)
        dead_problems, dead_summary = verdict.check_dead_letters(dead)
        status, desc, _ = server.json("GET", "/v1/streams/crash")
        if desc["events"] != len(events) or desc["partitions"][0]["next_offset"] != len(events):
            problems.append(f"describe says {desc['events']} events / next_offset {desc['partitions'][0]['next_offset']}, "
                            f"reading gave {len(events)}")
        if desc["dead_letter"]["events"] != len(dead):
            problems.append(f"describe says {desc['dead_letter']['events']} dead letters, reading gave {len(dead)}")
        print(f"\n[crash] seed={h.SEED} kills={kills} (+{early_kills} during startup) "
              f"acked_events={summary['acked_events']} unacked_present={summary['unacked_present']} "
              f"unacked_sent={summary['unacked_events_sent']} stored={summary['stored_events']} "
              f"batches={summary['batches']} (acked {summary['acked_batches']}, refused {summary['refused_batches']}, "
              f"unanswered {summary['unanswered_batches']}) dlq={dead_summary} "
              f"loaded {loaded_s:.1f} s, restarts {min(restart_s):.2f}..{max(restart_s):.2f} s, read {read_s:.1f} s",
              flush=True)
        self.assertEqual(kills, KILLS)
        self.assertEqual(problems + dead_problems, [], "\n".join(problems + dead_problems))
        self.assertGreater(summary["acked_events"], 0)

    def wait_for_kill_moment(self, clients, generation, threshold, slot_deadline, k):
        """Waits until the current server acknowledged something, then until `threshold` events
        are acknowledged overall (or this kill's time slot is over)."""
        t0 = time.monotonic()
        while True:
            progressed = lc.acked_batches_in_generation(clients, generation) > 0
            if progressed and (lc.acked_events(clients) >= threshold or time.monotonic() >= slot_deadline):
                return
            if not progressed and time.monotonic() - t0 > PROGRESS_TIMEOUT_S:
                self.fail(f"after restart #{k} the server acknowledged nothing for {PROGRESS_TIMEOUT_S:.0f} s; "
                          f"client problems: {[v for c in clients for v in c.violations][:5]}")
            time.sleep(0.002)

    def check_after_restart(self, server, clients, k):
        """Cheap check right after each restart: the last acknowledged offsets are still there."""
        self.assert_healthy(server, f"restart #{k}")
        acked = lc.acked_batches_so_far(clients)
        if not acked:
            return
        status, desc, _ = server.json("GET", "/v1/streams/crash")
        self.assertEqual(status, 200, desc)
        next_offset = desc["partitions"][0]["next_offset"]
        last = max(acked, key=lambda b: b.last_offset)
        self.assertGreater(next_offset, last.last_offset,
                           f"restart #{k}: acknowledged offsets up to {last.last_offset} but next_offset is {next_offset}")
        got = server.read_events("crash", start=last.first_offset, limit=len(last.ids))
        self.assertEqual([e["id"] for e in got], last.ids,
                         f"restart #{k}: batch {last.client}/{last.number} acknowledged at "
                         f"{last.first_offset}..{last.last_offset} is not there after the crash")


if __name__ == "__main__":
    h.main()
