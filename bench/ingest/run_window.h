// RunWindow and RunStats: what every connection of a load run shares.
//
// RunWindow decides whether a connection may send more and whether a finished request counts. It is
// written once before the worker threads start and afterwards only its atomic request budget
// changes, so every thread reads it without locks.
// RunStats is per worker thread (no sharing); the threads' stats are merged after they are joined.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "latency_histogram.h"

namespace lagoa::bench {

using Clock = std::chrono::steady_clock;

class RunWindow {
 public:
  // Time-bounded: send until `warmup + measure` has passed; count replies that arrive in the
  // measured part only.
  static RunWindow ForDuration(Clock::time_point start, Clock::duration warmup, Clock::duration measure,
                               Clock::duration drain_max) {
    RunWindow w;
    w.measure_from_ = start + warmup;
    w.measure_until_ = w.measure_from_ + measure;
    w.hard_deadline_ = w.measure_until_ + drain_max;
    return w;
  }
  // Count-bounded: send exactly `requests` requests (commands for Redis); all of them count.
  static RunWindow ForRequests(Clock::time_point start, uint64_t requests, Clock::duration run_max) {
    RunWindow w;
    w.by_requests_ = true;
    w.requests_left_.store(static_cast<int64_t>(requests));
    w.measure_from_ = start;
    w.measure_until_ = start + run_max;
    w.hard_deadline_ = w.measure_until_;
    return w;
  }

  RunWindow(RunWindow&& other) noexcept
      : by_requests_(other.by_requests_),
        requests_left_(other.requests_left_.load()),
        measure_from_(other.measure_from_),
        measure_until_(other.measure_until_),
        hard_deadline_(other.hard_deadline_) {}

  // How many of `wanted` requests the caller may send now (0 once the run is over).
  uint64_t Take(uint64_t wanted, Clock::time_point now) {
    if (now >= measure_until_) return 0;
    if (!by_requests_) return wanted;
    const int64_t before = requests_left_.fetch_sub(static_cast<int64_t>(wanted), std::memory_order_relaxed);
    return static_cast<uint64_t>(std::clamp<int64_t>(before, 0, static_cast<int64_t>(wanted)));
  }

  bool Counts(Clock::time_point completed) const {
    return by_requests_ || (completed >= measure_from_ && completed <= measure_until_);
  }
  bool Over(Clock::time_point now) const { return now >= measure_until_; }

  bool by_requests() const { return by_requests_; }
  Clock::time_point measure_from() const { return measure_from_; }
  Clock::time_point measure_until() const { return measure_until_; }
  Clock::time_point hard_deadline() const { return hard_deadline_; }

 private:
  RunWindow() = default;

  bool by_requests_ = false;
  std::atomic<int64_t> requests_left_{0};
  Clock::time_point measure_from_{};
  Clock::time_point measure_until_{};
  Clock::time_point hard_deadline_{};
};

struct RunStats {
  LatencyHistogram latency;                // send → complete successful reply
  uint64_t requests_ok = 0;                // HTTP 200 replies, or Redis non-error replies
  uint64_t events_sent = 0;                // events inside the requests counted in requests_ok
  uint64_t events_accepted = 0;            // what the server said it stored ("accepted" for HTTP)
  uint64_t body_bytes = 0;                 // request bodies (HTTP) or event payloads (Redis) of those
  std::map<std::string, uint64_t> not_ok;  // HTTP status code or Redis error word → count
  uint64_t connect_errors = 0;
  uint64_t io_errors = 0;
  uint64_t protocol_errors = 0;
  Clock::time_point last_counted{};  // the run's end in count-bounded mode

  void Merge(const RunStats& other) {
    latency.Merge(other.latency);
    requests_ok += other.requests_ok;
    events_sent += other.events_sent;
    events_accepted += other.events_accepted;
    body_bytes += other.body_bytes;
    for (const auto& [key, count] : other.not_ok) not_ok[key] += count;
    connect_errors += other.connect_errors;
    io_errors += other.io_errors;
    protocol_errors += other.protocol_errors;
    last_counted = std::max(last_counted, other.last_counted);
  }
};

}  // namespace lagoa::bench
