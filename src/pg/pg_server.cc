#include "pg/pg_server.h"

#include <fmt/format.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <list>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "base/assert.h"
#include "base/thread_name.h"
#include "pg/pg_connection.h"
#include "pg/pg_errors.h"
#include "pg/pg_messages.h"

namespace lagoa::pg {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Status PgServerOptions::Validate() const {
  if (host.empty()) return Status::InvalidArgument("pg host is empty; e.g. 127.0.0.1");
  if (connections_max < 1 || connections_max > 10000) {
    return Status::InvalidArgument("pg connections_max must be in [1, 10000], got " + std::to_string(connections_max));
  }
  if (connections_per_ip_max < 1) {
    return Status::InvalidArgument("pg connections_per_ip_max must be at least 1, got " +
                                   std::to_string(connections_per_ip_max));
  }
  if (startup_timeout_ms == 0 || idle_timeout_ms == 0) {
    return Status::InvalidArgument("pg startup and idle timeouts must be at least 1 ms");
  }
  std::set<std::string> names;
  for (const auto& user : users) {
    if (user.name.empty()) return Status::InvalidArgument("pg users: a user has an empty name");
    if (user.password.empty())
      return Status::InvalidArgument("pg users: user \"" + user.name + "\" has an empty password");
    if (!names.insert(user.name).second)
      return Status::InvalidArgument("pg users: user \"" + user.name + "\" is listed twice");
  }
  return Status::Ok();
}

struct PgServer::Impl {
  struct Entry {
    std::unique_ptr<pg::PgConnection> connection;
    std::thread thread;
  };

  PgServerOptions options;
  pg::ConnectionContext context;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread acceptor_thread;
  uint16_t bound_port = 0;
  bool started = false;
  bool stopped = false;

  std::mutex mu;
  std::list<Entry> connections;  // REQUIRES: mu held
  int32_t next_pid = 1;          // REQUIRES: mu held

  void DoAccept();
  void Admit(tcp::socket socket);
  // Makes room for a client from `ip` by evicting a connection still in startup; the refusal's
  // message when none can go. REQUIRES: mu held.
  std::optional<std::string> MakeRoom(const std::string& ip);
  void Cancel(int32_t pid, int32_t secret);
  // Joins the threads of finished connections. REQUIRES: mu held.
  void ReapFinished();
};

void PgServer::Impl::DoAccept() {
  acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) Admit(std::move(socket));
    if (acceptor.is_open()) DoAccept();
  });
}

void PgServer::Impl::Admit(tcp::socket socket) {
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);  // extended-query round trips are small messages
  auto endpoint = socket.remote_endpoint(ec);
  std::string ip = ec ? std::string() : endpoint.address().to_string();
  std::lock_guard lock(mu);
  ReapFinished();
  if (auto refusal = MakeRoom(ip)) {
    // Answered before the startup packet: libpq reports an ErrorResponse in place of the
    // SSLRequest answer. The message is tiny, so the blocking write cannot stall the acceptor.
    std::string out;
    pg::AppendErrorResponse(&out, pg::MakeError(pg::sqlstate::kTooManyConnections, *refusal, "FATAL"));
    asio::write(socket, asio::buffer(out), ec);
    socket.close(ec);
    spdlog::warn("pg: refused a connection: {}", *refusal);
    return;
  }
  int32_t secret = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&secret), sizeof(secret)) != 1) {
    spdlog::error("pg: OpenSSL RAND_bytes failed; connection refused");
    return;
  }
  int32_t pid = next_pid++;
  if (next_pid == INT32_MAX) next_pid = 1;
  auto& entry = connections.emplace_back();
  entry.connection = std::make_unique<pg::PgConnection>(std::move(socket), std::move(ip), pid, secret, context);
  try {
    entry.thread = std::thread([connection = entry.connection.get()] { connection->Run(); });
  } catch (const std::system_error& e) {
    spdlog::error("pg: cannot start a connection thread: {}", e.what());
    connections.pop_back();
  }
}

std::optional<std::string> PgServer::Impl::MakeRoom(const std::string& ip) {
  int total = 0;
  int from_ip = 0;
  pg::PgConnection* oldest_starting = nullptr;          // of any address
  pg::PgConnection* oldest_starting_from_ip = nullptr;  // of `ip`
  for (auto& entry : connections) {                     // in accept order: the first found is the oldest
    pg::PgConnection& connection = *entry.connection;
    if (connection.finished() || connection.evicted()) continue;
    ++total;
    const bool same_ip = connection.remote_address() == ip;
    from_ip += same_ip ? 1 : 0;
    if (!connection.starting_up()) continue;
    if (oldest_starting == nullptr) oldest_starting = &connection;
    if (same_ip && oldest_starting_from_ip == nullptr) oldest_starting_from_ip = &connection;
  }
  pg::PgConnection* evict = nullptr;
  std::string refusal;
  if (from_ip >= options.connections_per_ip_max) {
    evict = oldest_starting_from_ip;
    refusal = fmt::format(
        "sorry, too many clients from {}: {} connections, the limit of pg_connections_per_ip_max, and none is still "
        "starting up",
        ip, from_ip);
  } else if (total >= options.connections_max) {
    evict = oldest_starting;
    refusal = fmt::format(
        "sorry, too many clients already: {} connections, the limit of pg_connections_max, and none is still "
        "starting up",
        total);
  } else {
    return std::nullopt;
  }
  if (evict == nullptr || !evict->Evict()) return refusal;
  spdlog::info("pg: closed connection {} from {}, still starting up, to admit a client from {} ({})", evict->pid(),
               evict->remote_address(), ip,
               from_ip >= options.connections_per_ip_max ? "pg_connections_per_ip_max" : "pg_connections_max");
  return std::nullopt;
}

void PgServer::Impl::Cancel(int32_t pid, int32_t secret) {
  std::lock_guard lock(mu);
  for (auto& entry : connections) {
    if (entry.connection->pid() == pid && entry.connection->secret() == secret) {
      spdlog::info("pg: cancel request for connection {}", pid);
      entry.connection->Cancel();
      return;
    }
  }
}

void PgServer::Impl::ReapFinished() {
  for (auto it = connections.begin(); it != connections.end();) {
    if (it->connection->finished()) {
      it->thread.join();  // Run() has returned: the join does not wait
      it = connections.erase(it);
    } else {
      ++it;
    }
  }
}

Result<std::unique_ptr<PgServer>> PgServer::Make(PgServerOptions options, sql::SqlEngine* engine) {
  LAGOA_ASSERT(engine != nullptr);
  LAGOA_RETURN_IF_ERROR(options.Validate());
  auto impl = std::make_unique<Impl>();
  for (const auto& user : options.users) {
    LAGOA_ASSIGN_OR_RETURN(auto secret, pg::ScramSecret::FromPassword(user.password));
    impl->context.users.emplace(user.name, std::move(secret));
  }
  impl->context.engine = engine;
  Impl* raw = impl.get();
  impl->context.cancel = [raw](int32_t pid, int32_t secret) { raw->Cancel(pid, secret); };
  impl->context.startup_timeout_ms = options.startup_timeout_ms;
  impl->context.idle_timeout_ms = options.idle_timeout_ms;
  impl->options = std::move(options);
  return std::unique_ptr<PgServer>(new PgServer(std::move(impl)));
}

PgServer::PgServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PgServer::~PgServer() { Stop(); }

Status PgServer::Start() {
  Impl& s = *impl_;
  LAGOA_ASSERT(!s.started);
  std::string where = s.options.host + ":" + std::to_string(s.options.port);
  boost::system::error_code ec;
  auto address = asio::ip::make_address(s.options.host, ec);
  if (ec) return Status::InvalidArgument("pg: invalid address " + where + ": " + ec.message());
  tcp::endpoint endpoint(address, s.options.port);
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IoError("pg: cannot listen on " + where + ": " + ec.message());
  s.bound_port = s.acceptor.local_endpoint().port();
  s.DoAccept();
  s.acceptor_thread = std::thread([&s] {
    SetCurrentThreadName("lagoa-pg-accept");
    s.ioc.run();
  });
  s.started = true;
  spdlog::info("pg: PostgreSQL protocol on {}:{} ({})", s.options.host, s.bound_port,
               s.context.users.empty() ? "trust" : "SCRAM-SHA-256");
  return Status::Ok();
}

void PgServer::Stop() {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  asio::post(s.ioc, [&s] {
    boost::system::error_code ec;
    s.acceptor.close(ec);
  });
  s.acceptor_thread.join();
  std::list<Impl::Entry> connections;
  {
    std::lock_guard lock(s.mu);
    for (auto& entry : s.connections) entry.connection->Shutdown();
    connections.swap(s.connections);
  }
  for (auto& entry : connections) entry.thread.join();
}

uint16_t PgServer::port() const { return impl_->bound_port; }

}  // namespace lagoa::pg
