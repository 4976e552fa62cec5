// PgConnection: one PostgreSQL client connection, served by its own thread with blocking reads
// and writes (a statement blocks that thread anyway; DuckDB's workers do the parallel work).
// It runs the startup handshake (SSLRequest/GSSENCRequest answered 'N', CancelRequest handed to
// the server), authentication (trust, or SCRAM-SHA-256 when users are configured), then the
// simple and extended query protocols over one sql::Session.
//
// Lifecycle: the server creates it for an accepted socket, runs Run() on a new thread, and joins
// that thread once finished() (or at Stop, after Shutdown()). Threads: Run() on the connection
// thread; Cancel(), Shutdown(), finished() and the key accessors from any thread.
#pragma once

#include <atomic>
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
};

class PgConnection {
 public:
  PgConnection(boost::asio::ip::tcp::socket socket, int32_t pid, int32_t secret, const ConnectionContext& context);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Serves the client until it leaves, breaks the protocol, or Shutdown(). Connection thread.
  void Run();
  // Interrupts the statement running now, if any. Any thread.
  void Cancel();
  // Cancels, and unblocks the connection thread's reads and writes so that Run() returns soon.
  void Shutdown();
  bool finished() const { return finished_.load(std::memory_order_acquire); }
  int32_t pid() const { return pid_; }
  int32_t secret() const { return secret_; }

  struct State;  // the protocol state of the connection thread (pg_connection.cc)

 private:
  boost::asio::ip::tcp::socket socket_;
  const int32_t pid_;
  const int32_t secret_;
  const ConnectionContext& context_;
  std::atomic<bool> finished_{false};

  std::mutex mu_;                    // guards the two fields below against Cancel/Shutdown
  sql::Session* session_ = nullptr;  // REQUIRES: mu_ held (set and cleared by Run)
  bool socket_closed_ = false;       // REQUIRES: mu_ held
};

}  // namespace lagoa::pg::pg
