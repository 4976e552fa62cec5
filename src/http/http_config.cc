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
  if (Result<std::vector<HttpToken>> parsed = ParseHttpTokens(tokens); !parsed.ok()) {
    return ConfigValueError("http_tokens", "(hidden)", parsed.status().message());
  }
  return CheckConfigRange<uint32_t>("sql_http_workers", sql_workers, 1, 256, "a whole number 1..256");
}

}  // namespace lagoa::http
