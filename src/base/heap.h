// glibc malloc's heap: what lagoa's own allocations hold, and DuckDB's vectors and containers
// (they use operator new). DuckDB's buffers are apart: the jemalloc inside libduckdb
// (src/duck/allocator.h).
//
// glibc keeps freed memory in its arenas for reuse, and gives pages back to the kernel only from
// the top of an arena. Memory freed in the middle of an arena stays resident until the next
// malloc_trim. On a server whose threads each fill their own arena in bursts (a statement
// decoding a live tail, a load, a large request), the freed memory that stays resident grows
// with time. That is the RSS drift of the soak (bench/RESULTS.md), not a leak.
//
// Threads: any thread. Both functions take each arena's lock in turn, so allocations on other
// threads wait for the length of one arena's walk.
#pragma once

#include <cstdint>

namespace lagoa {

struct HeapUsage {
  uint64_t in_use_bytes = 0;  // allocated and not freed (in the arenas, and mapped on their own)
  uint64_t free_bytes = 0;    // freed and kept in the arenas; resident where touched since the last trim
};

HeapUsage ReadHeapUsage();

// Gives every whole free page of every arena back to the kernel (malloc_trim). True if any was.
bool TrimHeap();

}  // namespace lagoa
