#include "pg/pg_config.h"

#include "base/config_check.h"

namespace lagoa::pg {

Status PgConfig::Validate() const {
  LAGOA_RETURN_IF_ERROR(
      CheckConfigRange<uint32_t>("pg_connections_max", connections_max, 1, 4096, "a whole number 1..4096"));
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint32_t>("pg_connections_per_ip_max", connections_per_ip_max, 1, 4096,
                                                   "a whole number 1..4096"));
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint32_t>("pg_startup_timeout_ms", startup_timeout_ms, 100, 600000,
                                                   "milliseconds from 100 to 600000"));
  LAGOA_RETURN_IF_ERROR(CheckConfigRange<uint32_t>("pg_idle_timeout_ms", idle_timeout_ms, 100, 604800000,
                                                   "milliseconds from 100 to 604800000"));
  for (const auto& [name, password] : users) {
    if (name.empty() || password.empty()) {
      return ConfigValueError("pg_users", "(hidden)", "NAME:PASSWORD pairs separated by commas");
    }
  }
  return Status::Ok();
}

}  // namespace lagoa::pg
