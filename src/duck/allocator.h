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

// Caps the memory DuckDB's allocator maps from the kernel, tracked by DuckDB or not (buffers,
// and the strings a `repeat('x', 3e9)` builds, which DuckDB's memory_limit does not see): a
// mapping past `bytes` fails, so the allocation fails and DuckDB fails the statement with its "Out
// of Memory Error" instead of growing the process. 0 removes the cap. The allocator keeps what it
// mapped for reuse (jemalloc's `retain`), so this bounds its high-water mark. The first call hooks
// every arena (jemalloc extent hooks), making the huge-allocation arena first; later calls only
// change the number. FailedPrecondition when libduckdb was built without jemalloc.
Status SetDuckDbMemoryMax(uint64_t bytes);
// The bytes DuckDB's allocator holds mapped or retained, as the cap counts them (0 before the
// first SetDuckDbMemoryMax).
uint64_t DuckDbMemoryMappedBytes();

}  // namespace lagoa::duck
