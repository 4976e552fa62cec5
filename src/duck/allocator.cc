#include "duck/allocator.h"

#include <fmt/format.h>

#include <sys/types.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

// jemalloc's control interface, which libduckdb exports for its own allocator. Weak: a libduckdb
// built without jemalloc leaves it null.
extern "C" int duckdb_je_mallctl(  // NOLINT(readability-identifier-naming): libduckdb's name
    const char* name, void* old_value, size_t* old_length, void* new_value, size_t new_length) __attribute__((weak));
extern "C" void* duckdb_je_malloc(size_t size) __attribute__((weak));  // NOLINT(readability-identifier-naming)
extern "C" void duckdb_je_free(void* pointer) __attribute__((weak));   // NOLINT(readability-identifier-naming)

namespace lagoa::duck {
namespace {

// jemalloc 5's extent hooks (its public `extent_hooks_t`): how an arena maps, unmaps, commits,
// purges, splits and merges the extents it carves allocations from. The cap wraps `alloc`,
// `dalloc` and `destroy` and passes everything to the hooks the arena had.
struct ExtentHooks;
using ExtentAlloc = void*(ExtentHooks*, void* new_addr, size_t size, size_t alignment, bool* zero, bool* commit,
                          unsigned arena);
using ExtentDalloc = bool(ExtentHooks*, void* addr, size_t size, bool committed, unsigned arena);
using ExtentDestroy = void(ExtentHooks*, void* addr, size_t size, bool committed, unsigned arena);
using ExtentCommit = bool(ExtentHooks*, void* addr, size_t size, size_t offset, size_t length, unsigned arena);
using ExtentSplit = bool(ExtentHooks*, void* addr, size_t size, size_t size_a, size_t size_b, bool committed,
                         unsigned arena);
using ExtentMerge = bool(ExtentHooks*, void* addr_a, size_t size_a, void* addr_b, size_t size_b, bool committed,
                         unsigned arena);
struct ExtentHooks {
  ExtentAlloc* alloc;
  ExtentDalloc* dalloc;
  ExtentDestroy* destroy;
  ExtentCommit* commit;
  ExtentCommit* decommit;
  ExtentCommit* purge_lazy;
  ExtentCommit* purge_forced;
  ExtentSplit* split;
  ExtentMerge* merge;
};

// mallctl reads and writes the hooks as an `extent_hooks_t*`.
constexpr size_t kHooksPointerBytes = sizeof(void*);
ExtentHooks* g_default_hooks = nullptr;  // set once, before any arena uses CappedHooks()
std::atomic<uint64_t> g_mapped_bytes{0};
std::atomic<uint64_t> g_max_bytes{0};  // 0: no cap
std::mutex g_install_mu;

void* CappedAlloc(ExtentHooks*, void* new_addr, size_t size, size_t alignment, bool* zero, bool* commit,
                  unsigned arena) {
  const uint64_t max = g_max_bytes.load(std::memory_order_relaxed);
  if (max != 0 && g_mapped_bytes.load(std::memory_order_relaxed) + size > max) return nullptr;
  void* extent = g_default_hooks->alloc(g_default_hooks, new_addr, size, alignment, zero, commit, arena);
  if (extent != nullptr) g_mapped_bytes.fetch_add(size, std::memory_order_relaxed);
  return extent;
}

bool CappedDalloc(ExtentHooks*, void* addr, size_t size, bool committed, unsigned arena) {
  // true: the arena keeps the extent (jemalloc's `retain`), and it stays mapped.
  const bool kept =
      g_default_hooks->dalloc == nullptr || g_default_hooks->dalloc(g_default_hooks, addr, size, committed, arena);
  if (!kept) g_mapped_bytes.fetch_sub(size, std::memory_order_relaxed);
  return kept;
}

void CappedDestroy(ExtentHooks*, void* addr, size_t size, bool committed, unsigned arena) {
  if (g_default_hooks->destroy != nullptr) g_default_hooks->destroy(g_default_hooks, addr, size, committed, arena);
  g_mapped_bytes.fetch_sub(size, std::memory_order_relaxed);
}

ExtentHooks* CappedHooks() {
  static ExtentHooks hooks = [] {
    ExtentHooks h = *g_default_hooks;
    h.alloc = CappedAlloc;
    h.dalloc = CappedDalloc;
    h.destroy = CappedDestroy;
    return h;
  }();
  return &hooks;
}

// Hooks every arena: the huge-allocation arena (jemalloc makes it at the first allocation past
// `opt.oversize_threshold`) is made first, so that it exists to be hooked.
Status InstallCap() {
  const char* version = nullptr;
  size_t length = sizeof(version);
  if (int error = duckdb_je_mallctl("version", &version, &length, nullptr, 0); error != 0 || version == nullptr) {
    return Status::Internal("DuckDB's allocator does not say its version");
  }
  if (version[0] != '5') {
    return Status::FailedPrecondition(
        fmt::format("DuckDB's allocator is jemalloc {}; the cap needs jemalloc 5", version));
  }
  size_t oversize_bytes = 0;
  length = sizeof(oversize_bytes);
  if (duckdb_je_mallctl("opt.oversize_threshold", &oversize_bytes, &length, nullptr, 0) == 0 && oversize_bytes > 0 &&
      duckdb_je_malloc != nullptr && duckdb_je_free != nullptr) {
    duckdb_je_free(duckdb_je_malloc(oversize_bytes + 1));  // address space only: never touched
  }
  length = kHooksPointerBytes;
  if (int error = duckdb_je_mallctl("arena.0.extent_hooks", &g_default_hooks, &length, nullptr, 0); error != 0) {
    return Status::Internal(fmt::format("DuckDB's allocator: arena.0.extent_hooks: {}", std::strerror(error)));
  }
  unsigned arenas = 0;
  length = sizeof(arenas);
  if (int error = duckdb_je_mallctl("arenas.narenas", &arenas, &length, nullptr, 0); error != 0) {
    return Status::Internal(fmt::format("DuckDB's allocator: arenas.narenas: {}", std::strerror(error)));
  }
  // What the arenas hold already (mapped and retained) counts too, when jemalloc keeps statistics.
  uint64_t epoch = 1;
  size_t mapped_bytes = 0;
  size_t retained_bytes = 0;
  size_t epoch_length = sizeof(epoch);
  size_t size_length = sizeof(size_t);
  if (duckdb_je_mallctl("epoch", &epoch, &epoch_length, &epoch, sizeof(epoch)) == 0 &&
      duckdb_je_mallctl("stats.mapped", &mapped_bytes, &size_length, nullptr, 0) == 0 &&
      duckdb_je_mallctl("stats.retained", &retained_bytes, &size_length, nullptr, 0) == 0) {
    g_mapped_bytes.store(mapped_bytes + retained_bytes, std::memory_order_relaxed);
  }
  ExtentHooks* capped = CappedHooks();
  for (unsigned i = 0; i < arenas; ++i) {
    const std::string name = fmt::format("arena.{}.extent_hooks", i);
    ExtentHooks* old = nullptr;
    length = kHooksPointerBytes;
    // An automatic arena not made yet is made with the hooks; EFAULT: an index with no arena.
    const int error = duckdb_je_mallctl(name.c_str(), &old, &length, &capped, kHooksPointerBytes);
    if (error != 0 && error != EFAULT) {
      return Status::Internal(fmt::format("DuckDB's allocator refused {}: {}", name, std::strerror(error)));
    }
  }
  return Status::Ok();
}

}  // namespace

Status SetDuckDbMemoryMax(uint64_t bytes) {
  if (duckdb_je_mallctl == nullptr) return Status::FailedPrecondition("libduckdb was built without jemalloc");
  std::lock_guard lock(g_install_mu);
  if (g_default_hooks == nullptr) LAGOA_RETURN_IF_ERROR(InstallCap());
  g_max_bytes.store(bytes, std::memory_order_relaxed);
  return Status::Ok();
}

uint64_t DuckDbMemoryMappedBytes() { return g_mapped_bytes.load(std::memory_order_relaxed); }

Status SetFreedPagesKeptMs(int64_t kept_ms) {
  if (kept_ms < -1) {
    return Status::InvalidArgument(fmt::format("kept_ms must be >= -1 (-1: never given back), got {}", kept_ms));
  }
  if (duckdb_je_mallctl == nullptr) return Status::FailedPrecondition("libduckdb was built without jemalloc");
  ssize_t value = kept_ms;
  // New arenas take the defaults; the ones that exist are set one by one (an index without an
  // arena yet answers EFAULT: nothing to set there).
  for (const char* name : {"arenas.dirty_decay_ms", "arenas.muzzy_decay_ms"}) {
    if (int error = duckdb_je_mallctl(name, nullptr, nullptr, &value, sizeof(value)); error != 0) {
      return Status::Internal(
          fmt::format("DuckDB's allocator refused {} = {}: {}", name, kept_ms, std::strerror(error)));
    }
  }
  unsigned arenas = 0;
  size_t length = sizeof(arenas);
  if (int error = duckdb_je_mallctl("arenas.narenas", &arenas, &length, nullptr, 0); error != 0) {
    return Status::Internal(fmt::format("DuckDB's allocator: arenas.narenas: {}", std::strerror(error)));
  }
  for (unsigned i = 0; i < arenas; ++i) {
    for (const char* kind : {"dirty", "muzzy"}) {
      const std::string name = fmt::format("arena.{}.{}_decay_ms", i, kind);
      const int error = duckdb_je_mallctl(name.c_str(), nullptr, nullptr, &value, sizeof(value));
      if (error != 0 && error != EFAULT) {
        return Status::Internal(
            fmt::format("DuckDB's allocator refused {} = {}: {}", name, kept_ms, std::strerror(error)));
      }
    }
  }
  return Status::Ok();
}

Result<int64_t> FreedPagesKeptMs() {
  if (duckdb_je_mallctl == nullptr) return Status::FailedPrecondition("libduckdb was built without jemalloc");
  ssize_t value = 0;
  size_t length = sizeof(value);
  if (int error = duckdb_je_mallctl("arenas.dirty_decay_ms", &value, &length, nullptr, 0); error != 0) {
    return Status::Internal(fmt::format("DuckDB's allocator: arenas.dirty_decay_ms: {}", std::strerror(error)));
  }
  return static_cast<int64_t>(value);
}

}  // namespace lagoa::duck
