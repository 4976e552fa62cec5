#include "load_run.h"

#include <sys/resource.h>

#include <boost/asio/steady_timer.hpp>
#include <thread>
#include <vector>

namespace lagoa::bench {
namespace {

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// A worker thread's share of the run. Owned by RunLoad; only its own thread touches it while running.
struct Worker {
  boost::asio::io_context io{1};
  boost::asio::steady_timer deadline{io};
  RunStats stats;
  std::vector<std::unique_ptr<Connection>> connections;
  size_t running = 0;
};

}  // namespace

RunResult RunLoad(const LoadShape& shape, const ConnectionFactory& factory) {
  // Connections start a few milliseconds from now so that all of them exist before the clock runs.
  const Clock::time_point start = Clock::now() + std::chrono::milliseconds(20);
  RunWindow window = shape.requests > 0
                         ? RunWindow::ForRequests(start, shape.requests, Seconds(shape.run_seconds_max))
                         : RunWindow::ForDuration(start, Seconds(shape.warmup_seconds), Seconds(shape.seconds),
                                                  Seconds(shape.drain_seconds_max));

  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < shape.threads; ++t) workers.push_back(std::make_unique<Worker>());
  for (int c = 0; c < shape.connections; ++c) {
    Worker& w = *workers[static_cast<size_t>(c % shape.threads)];
    ConnectionContext context{w.io, window, w.stats, static_cast<size_t>(c), [&w] {
                                if (--w.running == 0) w.deadline.cancel();
                              }};
    w.connections.push_back(factory(context));
    ++w.running;
  }

  const double cpu_before = ProcessCpuSeconds();
  std::vector<std::thread> threads;
  for (auto& worker : workers) {
    Worker& w = *worker;
    w.deadline.expires_at(window.hard_deadline());
    w.deadline.async_wait([&w](const boost::system::error_code& ec) {
      if (ec) return;  // every connection finished first
      for (auto& c : w.connections) c->Stop();
    });
    threads.emplace_back([&w, start] {
      std::this_thread::sleep_until(start);
      for (auto& c : w.connections) c->Start();
      w.io.run();
    });
  }
  for (auto& t : threads) t.join();
  const double cpu_seconds = ProcessCpuSeconds() - cpu_before;

  RunResult result;
  for (auto& w : workers) result.stats.Merge(w->stats);
  const Clock::time_point end = window.by_requests() ? result.stats.last_counted : window.measure_until();
  result.measured_seconds = std::chrono::duration<double>(end - window.measure_from()).count();
  result.client_cpu_seconds = cpu_seconds;
  return result;
}

}  // namespace lagoa::bench
