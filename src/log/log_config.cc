#include "log/log_config.h"

#include <cstdint>

#include "base/config_check.h"

namespace lagoa::log {

Status LogConfig::Validate() const {
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint64_t>("segment_bytes_max", segment_bytes_max, 4096, UINT64_MAX,
                                                   "a size of at least 4096 bytes such as 4096, 16MiB or 1GiB"));
  LAGOA_RETURN_IF_ERROR(
      CheckConfigRange("free_space_min_percent", free_space_min_percent, 0.0, 100.0, "a number from 0 to 100"));
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint64_t>("log_pending_bytes_max", pending_bytes_max, 1 << 20, UINT64_MAX,
                                                   "a size of at least 1048576 bytes such as 4096, 16MiB or 1GiB"));
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<int64_t>("idempotency_window_hours", idempotency_window_hours, 1,
                                                  int64_t{24} * 365, "hours from 1 to 8760"));
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint64_t>("idempotency_keys_max", idempotency_keys_max, 1, 100000000,
                                                   "a whole number from 1 to 100000000"));
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<int64_t>("retention_max_age_ms", retention_max_age_ms, -1, INT64_MAX,
                                                  "a whole number >= -1 (-1: unlimited)"));
  return CheckConfigRange<int64_t>("retention_max_bytes", retention_max_bytes, -1, INT64_MAX,
                                   "-1 or a size such as 10GiB");
}

}  // namespace lagoa::log
