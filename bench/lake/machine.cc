#include "machine.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

namespace lagoa::bench {
namespace {

std::string FirstLine(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("model name")) {
      const size_t colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  }
  return "unknown";
}

}  // namespace

std::string MachineLine() {
  const std::string load = FirstLine("/proc/loadavg");
  return fmt::format("nproc {}, CPU {}, load average {}", std::thread::hardware_concurrency(), CpuModel(),
                     load.substr(0, load.find(' ', load.find(' ', load.find(' ') + 1) + 1)));
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double LoadAverage1m() {
  const std::string load = FirstLine("/proc/loadavg");
  char* end = nullptr;
  const double value = std::strtod(load.c_str(), &end);
  return end == load.c_str() ? -1 : value;
}

}  // namespace lagoa::bench
