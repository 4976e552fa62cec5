// DuckDB's allocator (the jemalloc built into libduckdb), for the whole process.
// Threads: any thread, any time.
#pragma once

#include <cstdint>

#include "base/status.h"

namespace lagoa::duck {

// How long the allocator keeps pages it freed before it gives them back to the kernel; DuckDB's
// default is 1 s. A server that frees and allocates about the same memory every statement and
// loader pass faults given-back pages in again, and a page fault is slow on virtual machines (14 µs
// a page on the benchmark machine, bench/RESULTS.md). Freed pages stay resident that much longer;
// peak memory does not change; -1 never gives them back. FailedPrecondition when libduckdb was
// built without jemalloc.
Status SetFreedPagesKeptMs(int64_t kept_ms);
// What the allocator keeps them now (the default for new arenas), for tests.
Result<int64_t> FreedPagesKeptMs();

}  // namespace lagoa::duck
