#include "base/thread_name.h"

#include <pthread.h>

namespace lagoa {

void SetCurrentThreadName(const std::string& name) {
  // Linux allows 16 bytes including the terminator; a longer name is refused, so cut it.
  ::pthread_setname_np(::pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace lagoa
