// RunLoad: drives a closed-loop load run. Connections are spread round-robin over `threads` worker
// threads, each with its own single-threaded io_context, so a connection and its RunStats are only
// ever touched by one thread and need no locks. Protocol drivers (HTTP, Redis) supply the
// connections through a ConnectionFactory.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>

#include "run_window.h"

namespace lagoa::bench {

// One client connection. Lifecycle: made before the threads start, Start() posted onto its worker
// thread, then it runs until the RunWindow says stop (calling `on_finished` once it has nothing in
// flight) or until Stop() at the hard deadline. Destroyed after its io_context stopped running.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual void Start() = 0;
  // Closes the socket and cancels timers now; replies still in flight are lost (not counted).
  virtual void Stop() = 0;
};

struct ConnectionContext {
  boost::asio::io_context& io;
  RunWindow& window;
  RunStats& stats;
  size_t index;                       // 0 .. connections-1
  std::function<void()> on_finished;  // call exactly once
};

using ConnectionFactory = std::function<std::unique_ptr<Connection>(const ConnectionContext&)>;

struct LoadShape {
  int connections = 8;
  int threads = 1;
  double warmup_seconds = 0;
  double seconds = 20;            // ignored when requests > 0
  uint64_t requests = 0;          // count-bounded run when > 0
  double drain_seconds_max = 10;  // after a timed run, how long in-flight replies may take
  double run_seconds_max = 600;   // cap for a count-bounded run
};

struct RunResult {
  RunStats stats;
  double measured_seconds = 0;
  double client_cpu_seconds = 0;  // user + system CPU of this process during the run (all threads)
};

RunResult RunLoad(const LoadShape& shape, const ConnectionFactory& factory);

}  // namespace lagoa::bench
