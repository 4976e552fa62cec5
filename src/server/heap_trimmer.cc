#include "server/heap_trimmer.h"

#include <spdlog/spdlog.h>

#include "base/catch_all.h"
#include "base/clock.h"
#include "base/heap.h"
#include "base/metrics.h"
#include "base/thread_name.h"

namespace lagoa::server {

std::unique_ptr<HeapTrimmer> HeapTrimmer::Start(std::chrono::milliseconds interval, uint64_t free_bytes_min) {
  std::unique_ptr<HeapTrimmer> trimmer(new HeapTrimmer(interval, free_bytes_min));
  trimmer->thread_ = std::thread([t = trimmer.get()] { t->Run(); });
  return trimmer;
}

HeapTrimmer::HeapTrimmer(std::chrono::milliseconds interval, uint64_t free_bytes_min)
    : interval_(interval), free_bytes_min_(free_bytes_min) {
  MetricsRegistry& metrics = MetricsRegistry::Global();
  const std::string help =
      "glibc malloc's heap: bytes allocated (in_use), and freed but kept by its arenas (free), as of the last check";
  in_use_bytes_ = metrics.GetGauge("lagoa_heap_bytes", help, {{"state", "in_use"}});
  free_bytes_ = metrics.GetGauge("lagoa_heap_bytes", help, {{"state", "free"}});
  trims_ = metrics.GetCounter("lagoa_heap_trims_total",
                              "Times the arenas were walked to give their free pages back (malloc_trim)");
  trim_seconds_ = metrics.GetHistogram("lagoa_heap_trim_seconds", "How long one walk of the arenas took");
}

HeapTrimmer::~HeapTrimmer() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HeapTrimmer::Run() {
  SetCurrentThreadName("lagoa-heap-trim");
  std::unique_lock lock(stop_mu_);
  while (!stop_cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    if (Status s = CatchAll("trimming the heap", [this] { TrimOnce(); }); !s.ok()) spdlog::error("{}", s.message());
    lock.lock();
  }
}

void HeapTrimmer::TrimOnce() {
  HeapUsage usage = ReadHeapUsage();
  in_use_bytes_->Set(static_cast<int64_t>(usage.in_use_bytes));
  free_bytes_->Set(static_cast<int64_t>(usage.free_bytes));
  if (usage.free_bytes < free_bytes_min_) return;
  const int64_t start_nanos = MonotonicNowNanos();
  TrimHeap();
  trim_seconds_->ObserveNanos(MonotonicNowNanos() - start_nanos);
  trims_->Add();
}

}  // namespace lagoa::server
