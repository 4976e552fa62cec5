// PgConnection: one PostgreSQL client connection, served by its own thread with blocking reads
// and writes (a statement blocks that thread anyway; DuckDB's workers do the parallel work).
// It runs the startup handshake (SSLRequest/GSSENCRequest answered 'N', CancelRequest handed to
// the server), authentication (trust, or SCRAM-SHA-256 when users are configured), then the
// simple and extended query protocols over one sql::Session.
//
// Time limits: startup and authentication must complete within `startup_timeout_ms` of accept;
// after that each wait for the client (its next message, or taking the results) is bounded by
// `idle_timeout_ms`. Either ends the connection with a FATAL error saying which key it was.
//
// Lifecycle: the server creates it for an accepted socket, runs Run() on a new thread, and joins
// that thread once finished() (or at Stop, after Shutdown()). Until startup completes the server
// may Evict() it to admit another client. Threads: Run() on the connection thread; Cancel(),
// Shutdown(), Evict(), finished() and the accessors from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "pg/pg_scram.h"
#include "sql/sql_engine.h"

namespace lagoa::pg::pg {

// What every connection shares with the server (owned by PgServer, outlives connections).
struct ConnectionContext {
  sql::SqlEngine* engine = nullptr;
  // Configured users (empty: trust, any user name). Read-only after Start.
  std::map<std::string, ScramSecret, std::less<>> users;
  // Handles a CancelRequest that arrived on this connection's socket.
  std::function<void(int32_t pid, int32_t secret)> cancel;
  uint32_t startup_timeout_ms = 20000;  // `pg_startup_timeout_ms`
  uint32_t idle_timeout_ms = 3600000;   // `pg_idle_timeout_ms`
};

class PgConnection {
 public:
  PgConnection(boost::asio::ip::tcp::socket socket, std::string remote_address, int32_t pid, int32_t secret,
               const ConnectionContext& context);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Serves the client until it leaves, breaks the protocol, or Shutdown(). Connection thread.
  void Run();
  // Interrupts the statement running now, if any. Any thread.
  void Cancel();
  // Cancels, and unblocks the connection thread's reads and writes so that Run() returns soon.
  void Shutdown();
  // Closes the connection if it is still in startup and authentication (it then never serves a
  // query); false once startup completed. Any thread.
  bool Evict();
  bool finished() const { return finished_.load(std::memory_order_acquire); }
  bool starting_up() const { return phase_.load() == Phase::kStartup; }
  bool evicted() const { return phase_.load() == Phase::kEvicted; }
  const std::string& remote_address() const { return remote_address_; }
  int32_t pid() const { return pid_; }
  int32_t secret() const { return secret_; }

  struct State;  // the protocol state of the connection thread (pg_connection.cc)

 private:
  enum class Phase : uint8_t { kStartup, kReady, kEvicted };

  boost::asio::ip::tcp::socket socket_;
  const std::string remote_address_;
  const std::chrono::steady_clock::time_point accepted_ = std::chrono::steady_clock::now();
  std::atomic<Phase> phase_{Phase::kStartup};
  const int32_t pid_;
  const int32_t secret_;
  const ConnectionContext& context_;
  std::atomic<bool> finished_{false};

  std::mutex mu_;                    // guards the two fields below against Cancel/Shutdown
  sql::Session* session_ = nullptr;  // REQUIRES: mu_ held (set and cleared by Run)
  bool socket_closed_ = false;       // REQUIRES: mu_ held
};

}  // namespace lagoa::pg::pg
