// What the lake benchmark prints about the machine and how it times phases: nproc, CPU model and
// load average (other people's builds share this machine; the figures mean little without it).
// Free functions and a value type; any thread.
#pragma once

#include <chrono>
#include <string>

namespace lagoa::bench {

// "nproc 2, CPU AMD EPYC, load average 0.87 1.39 1.57".
std::string MachineLine();
// The 1-minute load average, or -1 when /proc/loadavg cannot be read.
double LoadAverage1m();

// CPU seconds (user + system) the whole process used so far, all threads (DuckDB's included).
double ProcessCpuSeconds();

// Wall and CPU time since construction. CPU time says what a phase costs when other work shares
// the machine and stretches its wall time.
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()), start_cpu_seconds_(ProcessCpuSeconds()) {}
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  double cpu_seconds() const { return ProcessCpuSeconds() - start_cpu_seconds_; }

 private:
  std::chrono::steady_clock::time_point start_;
  double start_cpu_seconds_;
};

}  // namespace lagoa::bench
