// LAGOA_ASSERT: for bugs, never for bad input. Stays on in every build: a broken invariant in a
// storage engine must stop the process before it writes wrong bytes.
#pragma once

namespace lagoa::internal {
[[noreturn]] void AssertFailed(const char* expr, const char* file, int line, const char* message);
}  // namespace lagoa::internal

#define LAGOA_ASSERT(expr)                                            \
  do {                                                                \
    if (!(expr)) [[unlikely]]                                         \
      ::lagoa::internal::AssertFailed(#expr, __FILE__, __LINE__, ""); \
  } while (false)

#define LAGOA_ASSERT_MSG(expr, message)                                      \
  do {                                                                       \
    if (!(expr)) [[unlikely]]                                                \
      ::lagoa::internal::AssertFailed(#expr, __FILE__, __LINE__, (message)); \
  } while (false)
