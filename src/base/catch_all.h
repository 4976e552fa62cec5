// The catch-all every thread entry puts around one unit of work (a request, a protocol message, a
// loader pass): an exception that escapes lagoa's code is a bug, but it must fail that one unit,
// not end the process. The caller answers the request with the Status and logs it.
// Threads: any; a pure wrapper.
#pragma once

#include <exception>
#include <string_view>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "base/status.h"

namespace lagoa {

// Runs `body` (returning Status or void) and returns its Status; an exception escaping it becomes
// Status::Internal naming `what` and the exception's message.
template <typename F>
Status CatchAll(std::string_view what, F&& body) {
  try {
    if constexpr (std::is_same_v<std::invoke_result_t<F>, Status>) {
      return std::forward<F>(body)();
    } else {
      std::forward<F>(body)();
      return Status::Ok();
    }
  } catch (const std::exception& e) {
    return Status::Internal(fmt::format("{} failed on a bug in lagoa (an exception escaped: {})", what, e.what()));
  } catch (...) {
    return Status::Internal(fmt::format("{} failed on a bug in lagoa (an exception of unknown type escaped)", what));
  }
}

}  // namespace lagoa
