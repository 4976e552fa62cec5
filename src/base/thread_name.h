// Names the calling thread (at most 15 bytes show), so `top -H`, perf and gdb tell lagoa's
// threads apart.
#pragma once

#include <string>

namespace lagoa {

void SetCurrentThreadName(const std::string& name);

}  // namespace lagoa
