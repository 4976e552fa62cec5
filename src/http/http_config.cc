#include "http/http_config.h"

#include "base/config_check.h"
#include "http/http_auth.h"

namespace lagoa::http {

Status HttpConfig::Validate() const {
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint32_t>("http_threads", threads, 0, 256, "a whole number 0..256"));
  // A body, or the dead letters of its lines, must fit one log batch (256 MiB).
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint64_t>("max_body_bytes", max_body_bytes, 1024, 64ull << 20,
                                                   "a size from 1024 to 67108864 bytes such as 16MiB"));
  LAGOA_RETURN_IF_ERROR(
      CheckConfigRange<uint32_t>("max_connections", max_connections, 1, UINT32_MAX, "a whole number >= 1"));
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint32_t>("http_connections_per_ip_max", connections_per_ip_max, 1, UINT32_MAX,
                                                   "a whole number >= 1"));
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint32_t>("http_header_timeout_ms", header_timeout_ms, 100, 600000,
                                                   "milliseconds from 100 to 600000"));
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint32_t>("http_body_timeout_ms", body_timeout_ms, 100, 3600000,
                                                   "milliseconds from 100 to 3600000"));
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint32_t>("http_idle_timeout_ms", idle_timeout_ms, 100, 86400000,
                                                   "milliseconds from 100 to 86400000"));
  if (Result<std::vector<HttpToken>> parsed = ParseHttpTokens(tokens); !parsed.ok()) {
    return ConfigValueError("http_tokens", "(hidden)", parsed.status().message());
  }
  return CheckConfigRange<uint32_t>("sql_http_workers", sql_workers, 1, 256, "a whole number 1..256");
}

}  // namespace lagoa::http
