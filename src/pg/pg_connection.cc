#include "pg/pg_connection.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "base/assert.h"
#include "base/thread_name.h"
#include "pg/pg_client_queries.h"
#include "pg/pg_errors.h"
#include "pg/pg_messages.h"
#include "pg/pg_query.h"

namespace lagoa::pg::pg {

namespace asio = boost::asio;

PgConnection::PgConnection(asio::ip::tcp::socket socket, int32_t pid, int32_t secret, const ConnectionContext& context)
    : socket_(std::move(socket)), pid_(pid), secret_(secret), context_(context) {}

PgConnection::~PgConnection() { LAGOA_ASSERT(session_ == nullptr); }

void PgConnection::Cancel() {
  std::lock_guard lock(mu_);
  if (session_ != nullptr) session_->Cancel();
}

void PgConnection::Shutdown() {
  std::lock_guard lock(mu_);
  if (session_ != nullptr) session_->Cancel();
  // The OS-level shutdown wakes a read or write blocked on the connection thread; the socket
  // itself is closed only by that thread (under mu_), so the descriptor is never reused here.
  if (!socket_closed_) ::shutdown(socket_.native_handle(), SHUT_RDWR);
}

namespace {

// Buffered blocking I/O over the connection's socket.
class Wire final : public WireIo {
 public:
  explicit Wire(asio::ip::tcp::socket& socket) : socket_(socket) {}

  bool ReadExact(char* to, size_t n) override {
    boost::system::error_code ec;
    asio::read(socket_, asio::buffer(to, n), ec);
    return !ec;
  }
  std::string& out() override { return out_; }
  bool Flush() override {
    if (out_.empty()) return true;
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(out_), ec);
    out_.clear();
    if (out_.capacity() > kBufferKeepBytes) out_.shrink_to_fit();
    return !ec;
  }

 private:
  static constexpr size_t kBufferKeepBytes = 1u << 20;
  asio::ip::tcp::socket& socket_;
  std::string out_;
};

}  // namespace

void PgConnection::Run() {
  SetCurrentThreadName("lagoa-pg-" + std::to_string(pid_));
  Wire wire(socket_);
  auto startup = RunStartup(wire, context_);
  if (startup.has_value()) {
    auto session = context_.engine->OpenSession();
    if (!session.ok()) {
      std::string_view state = session.status().code() == StatusCode::kResourceExhausted ? sqlstate::kTooManyConnections
                                                                                         : sqlstate::kInternal;
      AppendErrorResponse(&wire.out(), MakeError(state, session.status().message(), "FATAL"));
      (void)wire.Flush();
    } else {
      {
        std::lock_guard lock(mu_);
        session_ = session->get();
      }
      {
        QueryProtocol protocol(wire, **session);  // its statements and cursors die before the session
        if (protocol.Setup(*startup, pid_, secret_)) protocol.Serve();
      }
      {
        std::lock_guard lock(mu_);
        session_ = nullptr;
      }
      session->reset();  // closes the DuckDB connection on this thread, before finished()
    }
  }
  {
    std::lock_guard lock(mu_);
    boost::system::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    socket_closed_ = true;
  }
  finished_.store(true, std::memory_order_release);
}

}  // namespace lagoa::pg::pg
