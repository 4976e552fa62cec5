// The process's own resource limits that lagoa adjusts at start. Today: the open-files limit,
// whose usual soft value (1,024 on most Linux systems, while the hard one is far higher) is below
// what the front doors' connection limits and the log's and DuckDB's files need together.
//
// Threads: any thread; the limit is the whole process's, so the server sets it once at start.
#pragma once

#include <cstdint>

#include "base/status.h"

namespace lagoa {

// Raises the soft RLIMIT_NOFILE to `wanted`, or to the hard limit when that is lower; never lowers
// it. Returns the soft limit in force afterwards. Internal when getrlimit or setrlimit fails.
Result<uint64_t> RaiseOpenFilesLimit(uint64_t wanted);

}  // namespace lagoa
