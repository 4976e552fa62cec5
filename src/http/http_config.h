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
  // `http_tokens`, NAME:SHA256,…: requests must carry one of these bearer tokens (http_auth.h);
  // empty: none needed, which only a loopback address or `insecure` allows (the server checks it).
  std::string tokens;
  uint32_t sql_workers = 4;  // `sql_http_workers`, 1..256: POST /v1/sql statements running at once

  Status Validate() const;
};

}  // namespace lagoa::http
