// PgConfig: the `pg` section of the server's configuration (src/server/config.h), the keys of
// the PostgreSQL front door. The server loads it from the keys named beside each field and turns
// it into PgServerOptions; Validate() checks the ranges the keys allow.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace lagoa::pg {

struct PgConfig {
  bool enabled = true;  // `pg`: HOST:PORT, or off
  std::string host = "127.0.0.1";
  uint16_t port = 5433;                  // 0 picks a free port
  uint32_t connections_max = 64;         // `pg_connections_max`, 1..4096
  uint32_t connections_per_ip_max = 16;  // `pg_connections_per_ip_max`, 1..4096
  uint32_t startup_timeout_ms = 20000;   // `pg_startup_timeout_ms`, 100..600000
  uint32_t idle_timeout_ms = 3600000;    // `pg_idle_timeout_ms`, 100..604800000 (7 days)
  // `pg_users`, NAME:PASSWORD,…: (name, password) of the clients that may log in; empty: trust.
  std::vector<std::pair<std::string, std::string>> users;

  Status Validate() const;
};

}  // namespace lagoa::pg
