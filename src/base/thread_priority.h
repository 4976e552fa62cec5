// Lowers the CPU priority of the calling thread (Linux: a thread's nice value). Background work —
// the lake loader and its DuckDB threads, which inherit the value of the thread that starts them —
// then gives way to ingest acknowledgements and queries when the cores are busy, and still gets
// the idle time.
#pragma once

#include "base/status.h"

namespace lagoa {

// `nice` from 0 (unchanged) to 19 (lowest). Raising priority again needs privileges lagoa never
// asks for, so this is one-way for the thread.
Status SetCurrentThreadNice(int nice);

}  // namespace lagoa
