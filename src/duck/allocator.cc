#include "duck/allocator.h"

#include <fmt/format.h>

#include <sys/types.h>

#include <cerrno>
#include <cstring>
#include <string>

// jemalloc's control interface, which libduckdb exports for its own allocator. Weak: a libduckdb
// built without jemalloc leaves it null.
extern "C" int duckdb_je_mallctl(  // NOLINT(readability-identifier-naming): libduckdb's name
    const char* name, void* old_value, size_t* old_length, void* new_value, size_t new_length) __attribute__((weak));

namespace lagoa::duck {

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
