#include "base/assert.h"

#include <cstdio>
#include <cstdlib>

namespace lagoa::internal {

void AssertFailed(const char* expr, const char* file, int line, const char* message) {
  std::fprintf(stderr, "lagoa: assertion failed at %s:%d: %s %s\n", file, line, expr, message);
  std::fflush(stderr);
  std::abort();
}

}  // namespace lagoa::internal
