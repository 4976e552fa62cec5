// The load generator's report: one JSON line (for scripts) and one line for people.
#pragma once

#include <string>

#include "load_run.h"

namespace lagoa::bench {

struct ReportHeader {
  std::string mode;    // "http" or "redis"
  std::string target;  // host:port
  int connections = 0;
  int threads = 0;
  size_t batch_events = 1;  // events per request (HTTP) or per command (Redis: 1)
  size_t pipeline = 1;      // requests in flight per connection
  double event_bytes_mean = 0;
};

std::string ReportJson(const ReportHeader& header, const RunResult& result);
std::string ReportHuman(const ReportHeader& header, const RunResult& result);

}  // namespace lagoa::bench
