// HeapTrimmer: gives the memory glibc malloc keeps after frees back to the kernel (base/heap.h
// says why the server needs this). Every `interval` it reads the heap and, when the arenas hold at
// least `free_bytes_min` free, walks them to give their free pages back. glibc counts pages already
// given back as free too, so once a burst has left that much free, every check walks the arenas
// (about 25 ms each in the soak, bench/RESULTS.md). /metrics: `lagoa_heap_bytes{state="in_use"|
// "free"}`, `lagoa_heap_trims_total` (walks) and `lagoa_heap_trim_seconds`.
//
// Lifecycle: Start() starts its thread; the destructor stops and joins it (within one trim).
// Threads: its own thread reads and trims the heap; construction and destruction from one thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

namespace lagoa {
class Counter;
class Gauge;
class Histogram;
}  // namespace lagoa

namespace lagoa::server {

class HeapTrimmer {
 public:
  static std::unique_ptr<HeapTrimmer> Start(std::chrono::milliseconds interval, uint64_t free_bytes_min);
  ~HeapTrimmer();
  HeapTrimmer(const HeapTrimmer&) = delete;
  HeapTrimmer& operator=(const HeapTrimmer&) = delete;

 private:
  HeapTrimmer(std::chrono::milliseconds interval, uint64_t free_bytes_min);
  void Run();
  void TrimOnce();

  const std::chrono::milliseconds interval_;
  const uint64_t free_bytes_min_;
  Gauge* in_use_bytes_;
  Gauge* free_bytes_;
  Counter* trims_;
  Histogram* trim_seconds_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
  std::thread thread_;
};

}  // namespace lagoa::server
