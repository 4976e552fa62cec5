#include "base/thread_priority.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lagoa {

Status SetCurrentThreadNice(int nice) {
  if (nice < 0 || nice > 19) return Status::InvalidArgument(fmt::format("nice must be from 0 to 19, got {}", nice));
  if (nice == 0) return Status::Ok();
  // On Linux, PRIO_PROCESS with a thread id sets that thread's nice value only.
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  if (::setpriority(PRIO_PROCESS, tid, nice) != 0) {
    return Status::Internal(fmt::format("setpriority(nice {}) of thread {}: {}", nice, tid, std::strerror(errno)));
  }
  return Status::Ok();
}

}  // namespace lagoa
