#include "pg/pg_config.h"

#include "base/config_check.h"

namespace lagoa::pg {

Status PgConfig::Validate() const {
  LAGOA_RETURN_IF_ERROR(
      CheckConfigRange<uint32_t>("pg_connections_max", connections_max, 1, 4096, "a whole number 1..4096"));
  for (const auto& [name, password] : users) {
    if (name.empty() || password.empty()) {
      return ConfigValueError("pg_users", "(hidden)", "NAME:PASSWORD pairs separated by commas");
    }
  }
  return Status::Ok();
}

}  // namespace lagoa::pg
