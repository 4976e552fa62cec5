// Checks of one configuration value, for the Validate() of each module's configuration section
// (src/server/README.md): an error names the key as users write it (`http_threads`), the value
// found and what is allowed. The message starts with "config key `KEY`": the server's loader, which
// knows where each value was set, adds that after the key.
#pragma once

#include <string_view>

#include <fmt/format.h>

#include "base/status.h"

namespace lagoa {

// InvalidArgument "config key `KEY`: expected ALLOWED, got `FOUND`".
inline Status ConfigValueError(std::string_view key, std::string_view found, std::string_view allowed) {
  return Status::InvalidArgument(fmt::format("config key `{}`: expected {}, got `{}`", key, allowed, found));
}

// Ok when `minimum <= value <= maximum`, else ConfigValueError saying `allowed`.
template <typename T>
Status CheckConfigRange(std::string_view key, T value, T minimum, T maximum, std::string_view allowed) {
  if (value >= minimum && value <= maximum) return Status::Ok();
  return ConfigValueError(key, fmt::format("{}", value), allowed);
}

// Ok when `value` is -1 (the key's "off") or at least 1, else ConfigValueError saying `allowed`.
template <typename T>
Status CheckConfigPositiveOrOff(std::string_view key, T value, std::string_view allowed) {
  if (value == -1 || value >= 1) return Status::Ok();
  return ConfigValueError(key, fmt::format("{}", value), allowed);
}

}  // namespace lagoa
