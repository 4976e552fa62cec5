// PgServer: lagoa's PostgreSQL wire protocol (3.0) front door. psql, pgjdbc, node-postgres and
// other PostgreSQL clients connect to it and run SQL on the SqlEngine: simple and extended query,
// text and binary formats for the common types, CancelRequest, trust or SCRAM-SHA-256.
// See README.md, "PostgreSQL wire protocol".
//
// Lifecycle: Make() validates the options and derives the users' SCRAM secrets; Start() binds
// and starts the acceptor thread; Stop() closes the listener, cancels running statements, closes
// every connection and joins all threads. Stop() is idempotent; the destructor calls it. The
// engine must outlive the server.
// Threads: one acceptor thread (Boost.Asio) plus one thread per connection (blocking reads and
// writes; at most connections_max, and briefly the evicted ones while they close). Start/Stop/port
// from the owner's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace lagoa::sql {
class SqlEngine;
}

namespace lagoa::pg {

struct PgUser {
  std::string name;
  std::string password;
};

struct PgServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 5433;  // 0 picks a free port; see PgServer::port()
  // At a limit, a new client closes the oldest connection still in startup, or is refused (53300).
  int connections_max = 64;
  int connections_per_ip_max = 16;
  uint32_t startup_timeout_ms = 20000;  // startup and authentication complete within this of accept
  uint32_t idle_timeout_ms = 3600000;   // the longest wait for a client's next message, or for it to read
  std::vector<PgUser> users;            // empty: trust (any user name, no password)

  static PgServerOptions Defaults() { return {}; }
  Status Validate() const;
};

class PgServer {
 public:
  static Result<std::unique_ptr<PgServer>> Make(PgServerOptions options, sql::SqlEngine* engine);
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  Status Start();  // binds; the error names the address when the port is taken
  void Stop();
  uint16_t port() const;  // the bound port, after Start()

  struct Impl;

 private:
  explicit PgServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lagoa::pg
