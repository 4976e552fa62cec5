#include "pg/pg_connection.h"

#include <fmt/format.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "base/assert.h"
#include "base/thread_name.h"
#include "pg/pg_client_queries.h"
#include "pg/pg_errors.h"
#include "pg/pg_messages.h"
#include "pg/pg_query.h"

namespace lagoa::pg::pg {

namespace asio = boost::asio;

PgConnection::PgConnection(asio::ip::tcp::socket socket, std::string remote_address, int32_t pid, int32_t secret,
                           const ConnectionContext& context)
    : socket_(std::move(socket)),
      remote_address_(std::move(remote_address)),
      pid_(pid),
      secret_(secret),
      context_(context) {}

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

bool PgConnection::Evict() {
  Phase expected = Phase::kStartup;
  if (!phase_.compare_exchange_strong(expected, Phase::kEvicted)) return false;
  Shutdown();
  return true;
}

namespace {

using Clock = std::chrono::steady_clock;

// The goodbye after a timeout gets this long to be written.
constexpr auto kGoodbyeWait = std::chrono::seconds(1);

// Buffered blocking I/O over the connection's socket. Every wait for the client is bounded: by
// `deadline` (startup) and by `wait_limit` per wait (the idle timeout); a wait past either fails
// the read or write and sets timed_out(). Shutdown() from another thread wakes a wait.
class Wire final : public WireIo {
 public:
  explicit Wire(int fd) : fd_(fd) {}

  void Limit(Clock::time_point deadline, Clock::duration wait_limit) {
    deadline_ = deadline;
    wait_limit_ = wait_limit;
  }
  bool timed_out() const { return timed_out_; }

  bool ReadExact(char* to, size_t n) override {
    for (size_t got = 0; got < n;) {
      const ssize_t r = ::recv(fd_, to + got, n - got, MSG_DONTWAIT);
      if (r > 0) {
        got += static_cast<size_t>(r);
      } else if (r == 0 || (errno != EINTR && (!WouldBlock() || !Wait(POLLIN)))) {
        return false;  // the client closed, the socket failed, or the client was silent too long
      }
    }
    return true;
  }
  std::string& out() override { return out_; }
  bool Flush() override {
    bool ok = true;
    for (size_t sent = 0; sent < out_.size();) {
      const ssize_t r = ::send(fd_, out_.data() + sent, out_.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (r >= 0) {
        sent += static_cast<size_t>(r);
      } else if (errno != EINTR && (!WouldBlock() || !Wait(POLLOUT))) {
        ok = false;
        break;
      }
    }
    out_.clear();
    if (out_.capacity() > kBufferKeepBytes) out_.shrink_to_fit();
    return ok;
  }

 private:
  static constexpr size_t kBufferKeepBytes = 1u << 20;

  static bool WouldBlock() { return errno == EAGAIN || errno == EWOULDBLOCK; }

  // True once the socket is ready (or failed: the next call says so); false past the limits.
  bool Wait(short events) {
    const Clock::time_point until = std::min(deadline_, Clock::now() + wait_limit_);
    for (;;) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()).count();
      if (left <= 0) {
        timed_out_ = true;
        return false;
      }
      pollfd ready{fd_, events, 0};
      const int r = ::poll(&ready, 1, static_cast<int>(std::min<int64_t>(left, INT32_MAX)));
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) return false;
    }
  }

  const int fd_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::duration wait_limit_ = std::chrono::hours(24);
  bool timed_out_ = false;
  std::string out_;
};

// A FATAL error for a client that took too long, written within kGoodbyeWait.
void SayTimedOut(Wire& wire, std::string_view state, std::string message) {
  spdlog::info("pg: {}", message);
  wire.Limit(Clock::now() + kGoodbyeWait, kGoodbyeWait);
  AppendErrorResponse(&wire.out(), MakeError(state, std::move(message), "FATAL"));
  (void)wire.Flush();
}

}  // namespace

void PgConnection::Run() {
  SetCurrentThreadName("lagoa-pg-" + std::to_string(pid_));
  Wire wire(socket_.native_handle());
  const auto startup_timeout = std::chrono::milliseconds(context_.startup_timeout_ms);
  wire.Limit(accepted_ + startup_timeout, startup_timeout);
  auto startup = RunStartup(wire, context_);
  if (!startup.has_value() && wire.timed_out()) {
    SayTimedOut(wire, sqlstate::kConnectionFailure,
                fmt::format("connection {} from {}: startup and authentication did not complete within {} ms "
                            "(pg_startup_timeout_ms)",
                            pid_, remote_address_, context_.startup_timeout_ms));
  }
  Phase starting = Phase::kStartup;
  if (startup.has_value() && phase_.compare_exchange_strong(starting, Phase::kReady)) {
    const auto idle_timeout = std::chrono::milliseconds(context_.idle_timeout_ms);
    wire.Limit(Clock::time_point::max(), idle_timeout);
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
      if (wire.timed_out()) {
        SayTimedOut(wire, sqlstate::kIdleSessionTimeout,
                    fmt::format("terminating connection {} from {}: the client sent or read nothing for {} ms "
                                "(pg_idle_timeout_ms)",
                                pid_, remote_address_, context_.idle_timeout_ms));
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
