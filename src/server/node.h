// Node: one lagoa server — the log, the catalog, the stream registry, ingestion and the HTTP API —
// wired together over one data directory, which it locks so that no second process opens it.
//
// Lifecycle: Make() takes a configuration LoadServerConfig checked; Start() opens and starts the components in
// dependency order; Stop() stops them in reverse order (HTTP first, so in-flight requests drain
// and their appends are synced before the log closes). Threads: Start/Stop from one thread.
#pragma once

#include <memory>

#include "base/status.h"
#include "server/config.h"

namespace lagoa::server {

class Node {
 public:
  static Result<std::unique_ptr<Node>> Make(const ServerConfig& config);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  Status Start();
  void Stop();
  uint16_t http_port() const;
  uint16_t pg_port() const;  // 0 when the PostgreSQL front door is off

  struct Components;

 private:
  explicit Node(ServerConfig config);
  ServerConfig config_;
  std::unique_ptr<Components> c_;
};

// `lagoa server`: starts a node and blocks until SIGINT or SIGTERM; returns the exit code.
int RunServer(const ServerConfig& config);

// Configures spdlog's default logger: UTC timestamps, level, to stderr.
void SetUpLogging(const std::string& level);

}  // namespace lagoa::server
