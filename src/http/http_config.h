// HttpConfig: the `http` section of the server's configuration (src/server/config.h), the keys
// of the HTTP front door. The server loads it from the keys named beside each field and turns it
// into HttpServerOptions and SqlApiOptions; Validate() checks the ranges the keys allow.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace lagoa::http {

struct HttpConfig {
  std::string host = "127.0.0.1";         // `http`: HOST:PORT
  uint16_t port = 8080;                   // 0 picks a free port
  uint32_t threads = 0;                   // `http_threads`, 0..256; 0: one per core
  uint64_t max_body_bytes = 16ull << 20;  // `max_body_bytes`, 1 KiB..64 MiB
  uint32_t max_connections = 10000;       // `max_connections`, at least 1
  uint32_t connections_per_ip_max = 256;  // `http_connections_per_ip_max`, at least 1
  uint32_t header_timeout_ms = 10000;     // `http_header_timeout_ms`, 100..600000
  uint32_t body_timeout_ms = 30000;       // `http_body_timeout_ms`, 100..3600000
  uint32_t idle_timeout_ms = 60000;       // `http_idle_timeout_ms`, 100..86400000
  // `http_tokens`, NAME:SHA256,…: requests must carry one of these bearer tokens (http_auth.h);
  // empty: none needed, which only a loopback address or `insecure` allows (the server checks it).
  std::string tokens;
  uint32_t sql_workers = 4;  // `sql_http_workers`, 1..256: POST /v1/sql statements running at once

  Status Validate() const;
};

}  // namespace lagoa::http
