#include "base/process_limits.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace lagoa {

Result<uint64_t> RaiseOpenFilesLimit(uint64_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return Status::Internal(fmt::format("getrlimit(RLIMIT_NOFILE): {}", std::strerror(errno)));
  }
  const rlim_t target = limit.rlim_max == RLIM_INFINITY ? static_cast<rlim_t>(wanted)
                                                        : std::min(static_cast<rlim_t>(wanted), limit.rlim_max);
  if (limit.rlim_cur != RLIM_INFINITY && target > limit.rlim_cur) {
    limit.rlim_cur = target;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      return Status::Internal(
          fmt::format("setrlimit(RLIMIT_NOFILE, soft {} hard {}): {}", target, limit.rlim_max, std::strerror(errno)));
    }
  }
  return static_cast<uint64_t>(limit.rlim_cur);
}

}  // namespace lagoa
