#include "http/http_server.h"

#include <array>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include "base/metrics.h"
#include "base/thread_name.h"
#include "http/http_body_internal.h"
#include "http/http_connections.h"
#include "http/http_request_internal.h"

namespace lagoa::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr uint32_t kHeaderLimitBytes = 64 * 1024;
constexpr uint32_t kWriteTimeoutMs = 60000;  // per write of a response or a piece of one
// A kept-alive connection's first read of its next request.
constexpr size_t kFirstReadBytes = 4096;
// Beast reads at most 64 KiB at a time, and no more than the buffer's spare capacity.
constexpr size_t kBodyReadBufferBytes = size_t{64} * 1024;
constexpr size_t kIdleBufferBytesMax = size_t{16} * 1024;
constexpr uint32_t kRefusalsMax = 256;
constexpr uint32_t kRefusalMs = 1000;
constexpr uint32_t kAcceptRetryMs = 50;

}  // namespace

Status HttpServerOptions::Validate() const {
  if (threads == 0) return Status::InvalidArgument("http threads: expected at least 1, got 0");
  if (max_connections == 0) return Status::InvalidArgument("max_connections: expected at least 1, got 0");
  if (connections_per_ip_max == 0) {
    return Status::InvalidArgument("http_connections_per_ip_max: expected at least 1, got 0");
  }
  if (header_timeout_ms == 0 || body_timeout_ms == 0 || idle_timeout_ms == 0) {
    return Status::InvalidArgument("http timeouts: expected at least 1 ms");
  }
  if (max_body_bytes > body_memory_bytes_max) {
    return Status::InvalidArgument(fmt::format("max_body_bytes ({}) must not exceed ingest_memory_bytes_max ({})",
                                               max_body_bytes, body_memory_bytes_max));
  }
  return Status::Ok();
}

class Session;

struct HttpServer::Impl {
  Impl(HttpServerOptions server_options, HttpHandler request_handler)
      : options(std::move(server_options)),
        handler(std::move(request_handler)),
        budget(options.body_memory_bytes_max),
        table({.total_max = options.max_connections, .per_ip_max = options.connections_per_ip_max}) {}

  const HttpServerOptions options;
  const HttpHandler handler;
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  tcp::acceptor acceptor{ioc};
  asio::steady_timer accept_retry{ioc};  // runs on the acceptor's handlers' executor (one at a time)
  std::vector<std::thread> threads;
  std::atomic<uint32_t> connections{0};  // sockets open, evicted ones until they close
  std::atomic<uint32_t> refusals{0};     // refused sockets being answered 503
  std::atomic<bool> stopping{false};
  bool started = false;
  bool stopped = false;
  uint16_t bound_port = 0;
  BodyBudget budget;

  std::mutex sessions_mu;
  ConnectionTable table;                                                     // REQUIRES: sessions_mu held
  std::unordered_map<ConnectionTable::Id, std::weak_ptr<Session>> sessions;  // REQUIRES: sessions_mu held

  Gauge* connections_gauge = MetricsRegistry::Global().GetGauge("lagoa_http_connections", "Open HTTP connections.");
  Counter* refused_connections = MetricsRegistry::Global().GetCounter(
      "lagoa_http_connections_refused_total",
      "Connections answered 503 at accept: max_connections or http_connections_per_ip_max reached, none waiting.");
  Counter* evicted_connections = MetricsRegistry::Global().GetCounter(
      "lagoa_http_connections_evicted_total",
      "Connections waiting for a request that were closed to admit a new one at a connection limit.");

  // The connection began a request; false when it was evicted (close it).
  bool StartRequest(ConnectionTable::Id id) {
    std::lock_guard lock(sessions_mu);
    return table.StartRequest(id);
  }
  void FinishRequest(ConnectionTable::Id id) {
    std::lock_guard lock(sessions_mu);
    table.FinishRequest(id);
  }
  void Forget(ConnectionTable::Id id) {
    std::lock_guard lock(sessions_mu);
    table.Remove(id);
    sessions.erase(id);
  }

  void DoAccept();
  void Admit(tcp::socket socket);
  // Closes the oldest connection waiting for a request (out of file descriptors).
  void EvictOne();
  void Refuse(tcp::socket socket, const std::string& message);
};

// One connection. Lives as long as an asynchronous operation holds a shared_ptr to it; all its
// handlers run on its strand. Timeouts: the first request head must arrive within
// header_timeout_ms of accept; a kept-alive connection may wait idle_timeout_ms for the next
// request's first byte, then its head gets header_timeout_ms; a body may pause body_timeout_ms.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, HttpServer::Impl* server, ConnectionTable::Id id, std::string remote_address)
      : stream_(std::move(socket)),
        server_(server),
        id_(id),
        account_(&server->budget),
        remote_address_(std::move(remote_address)) {
    server_->connections.fetch_add(1);
    server_->connections_gauge->Add(1);
  }
  ~Session() {
    account_.Release();
    Close();
  }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
  }

  // Closes the connection unless a request is being served; used by Stop().
  void CloseIfIdle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->Close();
    });
  }

  // The table evicted this connection while it waited for a request: it can no longer start one.
  void Evict() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

 private:
  void DoRead() {
    if (server_->stopping) return Close();
    parser_.emplace();
    parser_->header_limit(kHeaderLimitBytes);
    parser_->body_limit(server_->options.max_body_bytes);
    parser_->get().body().account = &account_;
    parser_->get().body().limit_bytes = server_->options.max_body_bytes;
    if (served_ && buffer_.size() == 0) return WaitForRequest();
    ReadHeader();
  }

  void WaitForRequest() {
    stream_.expires_after(std::chrono::milliseconds(server_->options.idle_timeout_ms));
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->Close();  // the client left, or the idle timeout passed
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    stream_.expires_after(std::chrono::milliseconds(server_->options.header_timeout_ms));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec && ec != http::error::body_limit) return Close();  // end of stream, timeout, malformed head
    if (!server_->StartRequest(id_)) return Close();          // evicted while its head arrived
    busy_ = true;
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      return Write(HttpResponse::Error(413, fmt::format("request body exceeds the limit of {} bytes (max_body_bytes)",
                                                        server_->options.max_body_bytes)));
    }
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    if (!server_->options.tokens.empty()) {
      std::string_view target(req.target().data(), req.target().size());
      target = target.substr(0, target.find('?'));
      const bool open = req.method() == http::verb::get && target == "/v1/health";  // probes carry no token
      const auto authorization = req[http::field::authorization];
      principal_ = AuthorizedName(server_->options.tokens, std::string_view(authorization.data(), authorization.size()))
                       .value_or("");
      if (!open && principal_.empty()) {
        keep_alive_ = false;  // its body is not read
        HttpResponse refused = HttpResponse::Error(
            401, authorization.empty() ? "this server needs a bearer token: send `Authorization: Bearer TOKEN` "
                                         "(the CLI: --token or LAGOA_TOKEN)"
                                       : "the bearer token is not one of the server's http_tokens");
        refused.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"lagoa\"");
        return Write(std::move(refused));
      }
    }
    if (auto length = parser_->content_length(); length && *length > server_->options.max_body_bytes) {
      keep_alive_ = false;
      return Write(HttpResponse::Error(
          413, fmt::format("request body of {} bytes exceeds the limit of {} bytes (max_body_bytes)", *length,
                           server_->options.max_body_bytes)));
    }
    ReadBody();
  }

  // The body piece by piece: each piece must come within body_timeout_ms, and its memory is
  // reserved as it arrives (BudgetedBody).
  void ReadBody() {
    if (parser_->is_done()) return OnBody({});
    stream_.expires_after(std::chrono::milliseconds(server_->options.body_timeout_ms));
    http::async_read_some(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->OnBody(ec);
      self->GrowReadBuffer();
      self->ReadBody();
    });
  }

  // Beast reads at most the buffer's spare capacity at a time, so a large body read through the
  // small idle buffer costs one recvmsg per packet. Once a body has proven large, the buffer grows
  // and shrinks back after the request. It is counted in the budget, and skipped unless a whole
  // body of max_body_bytes would still fit: a body never fails for want of its buffer.
  void GrowReadBuffer() {
    if (read_buffer_grown_ || parser_->get().body().bytes.size() < kBodyFirstStepBytes) return;
    read_buffer_grown_ = true;
    if (account_.TryAdd(kBodyReadBufferBytes, server_->options.max_body_bytes)) buffer_.reserve(kBodyReadBufferBytes);
  }

  void OnBody(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      return Write(HttpResponse::Error(413, fmt::format("request body exceeds the limit of {} bytes (max_body_bytes)",
                                                        server_->options.max_body_bytes)));
    }
    if (ec == boost::system::errc::not_enough_memory) {
      keep_alive_ = false;  // the rest of the body is not read
      HttpResponse busy =
          HttpResponse::Error(429, fmt::format("the server holds its maximum of request bodies in memory ({} bytes, "
                                               "ingest_memory_bytes_max); retry shortly",
                                               server_->budget.bytes_max()));
      busy.headers.emplace_back("Retry-After", "1");
      return Write(std::move(busy));
    }
    if (ec) return Close();  // the client left, broke the framing, or paused past body_timeout_ms
    Dispatch();
  }

  void Dispatch() {
    auto& raw = parser_->get();
    HttpRequest req;
    req.method = std::string(raw.method_string());
    std::string_view target(raw.target().data(), raw.target().size());
    if (!ParseTarget(target, &req)) {
      return Write(HttpResponse::Error(400, fmt::format("malformed percent-escape in path {}", target)));
    }
    auto header = [&raw](http::field f) {
      auto v = raw[f];
      return std::string_view(v.data(), v.size());
    };
    req.content_type = MediaType(header(http::field::content_type));
    req.content_encoding = Lower(header(http::field::content_encoding));
    if (auto key = raw.find("Idempotency-Key"); key != raw.end()) {
      req.idempotency_key = std::string(key->value().data(), key->value().size());
    }
    req.body = std::move(raw.body().bytes);
    req.remote_address = remote_address_;
    req.principal = principal_;

    Responder respond = [self = shared_from_this()](HttpResponse response) {
      asio::post(self->stream_.get_executor(),
                 [self, response = std::move(response)]() mutable { self->Write(std::move(response)); });
    };
    try {
      server_->handler(std::move(req), std::move(respond));
    } catch (const std::exception& e) {
      spdlog::error("http: handler threw: {}", e.what());
      Write(HttpResponse::Error(500, fmt::format("internal error: {}", e.what())));
    }
  }

  void Write(HttpResponse response) {
    if (response.stream != nullptr) return WriteStreamed(response);
    // The handler is done with the body once it answers: free its budget before the client can
    // see the answer, so a client that sends its next request at once finds the budget free.
    ReleaseBody();
    auto res = std::make_shared<http::response<http::string_body>>();
    res->result(response.status);
    res->version(11);
    res->set(http::field::server, "lagoa");
    res->set(http::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) res->set(name, value);
    res->body() = std::move(response.body);
    res->keep_alive(keep_alive_ && !server_->stopping);
    res->prepare_payload();
    stream_.expires_after(std::chrono::milliseconds(kWriteTimeoutMs));
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      self->OnWrite(ec, res->keep_alive());
    });
  }

  // The header now, then the stream's pieces as chunks as they come, then the last chunk.
  void WriteStreamed(const HttpResponse& response) {
    ReleaseBody();
    auto res = std::make_shared<http::response<http::empty_body>>();
    res->result(response.status);
    res->version(11);
    res->set(http::field::server, "lagoa");
    res->set(http::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) res->set(name, value);
    res->keep_alive(keep_alive_ && !server_->stopping);
    res->chunked(true);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*res);
    stream_.expires_after(std::chrono::milliseconds(kWriteTimeoutMs));
    http::async_write_header(
        stream_, *serializer,
        [self = shared_from_this(), res, serializer, body = response.stream](beast::error_code ec, size_t) {
          if (ec) {
            body->Cancel();
            return self->Close();
          }
          self->PumpStream(body, res->keep_alive());
        });
  }

  void PumpStream(const std::shared_ptr<ResponseStream>& body, bool keep_alive) {
    auto piece = std::make_shared<std::string>();
    auto wake = [self = shared_from_this(), body, keep_alive] {
      asio::post(self->stream_.get_executor(), [self, body, keep_alive] { self->PumpStream(body, keep_alive); });
    };
    switch (body->Take(piece.get(), std::move(wake))) {
      case ResponseStream::State::kWaiting:
        return;
      case ResponseStream::State::kAborted:
        body->Cancel();
        return Close();
      case ResponseStream::State::kFinished:
        stream_.expires_after(std::chrono::milliseconds(kWriteTimeoutMs));
        return asio::async_write(
            stream_, http::make_chunk_last(),
            [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) { self->OnWrite(ec, keep_alive); });
      case ResponseStream::State::kData:
        stream_.expires_after(std::chrono::milliseconds(kWriteTimeoutMs));
        return asio::async_write(stream_, http::make_chunk(asio::buffer(*piece)),
                                 [self = shared_from_this(), piece, body, keep_alive](beast::error_code ec, size_t) {
                                   if (ec) {
                                     body->Cancel();
                                     return self->Close();
                                   }
                                   self->PumpStream(body, keep_alive);
                                 });
    }
  }

  void OnWrite(beast::error_code ec, bool keep_alive) {
    ReleaseBody();
    busy_ = false;
    if (ec || !keep_alive) return Close();
    served_ = true;
    server_->FinishRequest(id_);
    DoRead();
  }

  void ReleaseBody() {
    account_.Release();
    read_buffer_grown_ = false;
    if (buffer_.capacity() > kIdleBufferBytesMax) buffer_.shrink_to_fit();
  }

  // The connection counts as gone once its socket is closed, even while a Responder copy
  // still holds the session.
  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    server_->Forget(id_);
    server_->connections_gauge->Add(-1);
    server_->connections.fetch_sub(1);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<BudgetedBody>> parser_;
  HttpServer::Impl* server_;
  const ConnectionTable::Id id_;
  BodyAccount account_;  // the body being read and the enlarged read buffer
  const std::string remote_address_;
  std::string principal_;  // the token's name of the request being read
  bool busy_ = false;
  bool served_ = false;  // answered a request: waiting for the next one is keep-alive idling
  bool read_buffer_grown_ = false;
  bool keep_alive_ = true;
  bool closed_ = false;
};

// Answers a connection refused at accept with 503 and closes it. The client's request is read and
// dropped for a moment after the answer, since closing with unread bytes resets the connection and
// the client could lose the answer. Bounded: at most kRefusalsMax at once (beyond, the socket is
// closed unanswered), each for at most kRefusalMs.
class Refusal : public std::enable_shared_from_this<Refusal> {
 public:
  Refusal(tcp::socket&& socket, std::string response, std::atomic<uint32_t>* active)
      : stream_(std::move(socket)), response_(std::move(response)), active_(active) {}
  ~Refusal() { active_->fetch_sub(1); }

  void Start() {
    stream_.expires_after(std::chrono::milliseconds(kRefusalMs));  // the whole refusal
    asio::async_write(stream_, asio::buffer(response_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return;
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      self->Drain();
    });
  }

 private:
  void Drain() {
    stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (!ec) self->Drain();
    });
  }

  beast::tcp_stream stream_;
  const std::string response_;
  std::atomic<uint32_t>* const active_;
  std::array<char, 4096> scratch_{};
};

void HttpServer::Impl::DoAccept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
        ec == boost::system::errc::too_many_files_open_in_system) {
      // Out of file descriptors: the connection stays in the backlog. Free one waiting connection
      // and retry shortly rather than spinning on accept.
      spdlog::warn("http: accept failed: {}; closing a waiting connection and retrying", ec.message());
      EvictOne();
      accept_retry.expires_after(std::chrono::milliseconds(kAcceptRetryMs));
      accept_retry.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec && !stopping) DoAccept();
      });
      return;
    }
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) return;
      spdlog::warn("http: accept failed: {}", ec.message());
    } else {
      Admit(std::move(socket));
    }
    if (!stopping) DoAccept();
  });
}

void HttpServer::Impl::Admit(tcp::socket socket) {
  beast::error_code ignored;  // once per connection: getpeername is a system call
  auto endpoint = socket.remote_endpoint(ignored);
  std::string ip = ignored ? std::string() : endpoint.address().to_string();
  ConnectionTable::Admission admission;
  std::shared_ptr<Session> evicted;
  {
    std::lock_guard lock(sessions_mu);
    admission = table.Admit(ip);
    if (admission.evicted) {
      if (auto it = sessions.find(*admission.evicted); it != sessions.end()) evicted = it->second.lock();
    }
  }
  if (evicted != nullptr) {
    evicted_connections->Add(1);
    evicted->Evict();
  }
  if (admission.verdict == ConnectionTable::Verdict::kRefusedPerIp) {
    return Refuse(std::move(socket),
                  fmt::format("too many connections from {}: {} are open, the limit of http_connections_per_ip_max, "
                              "and all are serving requests; retry shortly",
                              ip, options.connections_per_ip_max));
  }
  if (admission.verdict == ConnectionTable::Verdict::kRefusedTotal) {
    return Refuse(std::move(socket), fmt::format("too many connections: {} are open, the limit of max_connections, "
                                                 "and all are serving requests; retry shortly",
                                                 options.max_connections));
  }
  // A streamed response ends with small writes (the last chunk); with Nagle they would wait for
  // the client's delayed ACK (~40 ms on Linux) on a kept-alive connection.
  socket.set_option(tcp::no_delay(true), ignored);
  auto session = std::make_shared<Session>(std::move(socket), this, admission.id, std::move(ip));
  {
    std::lock_guard lock(sessions_mu);
    sessions.emplace(admission.id, session);
  }
  session->Start();
}

void HttpServer::Impl::EvictOne() {
  std::shared_ptr<Session> evicted;
  {
    std::lock_guard lock(sessions_mu);
    if (auto id = table.EvictOldestWaiting()) {
      if (auto it = sessions.find(*id); it != sessions.end()) evicted = it->second.lock();
    }
  }
  if (evicted == nullptr) return;
  evicted_connections->Add(1);
  evicted->Evict();
}

void HttpServer::Impl::Refuse(tcp::socket socket, const std::string& message) {
  refused_connections->Add(1);
  if (refusals.fetch_add(1) >= kRefusalsMax) {
    refusals.fetch_sub(1);
    beast::error_code ignored;
    socket.close(ignored);
    return;
  }
  const std::string body = HttpResponse::Error(503, message).body;
  std::string response = fmt::format(
      "HTTP/1.1 503 Service Unavailable\r\nServer: lagoa\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
      "Connection: close\r\nContent-Length: {}\r\n\r\n{}",
      body.size(), body);
  std::make_shared<Refusal>(std::move(socket), std::move(response), &refusals)->Start();
}

Result<std::unique_ptr<HttpServer>> HttpServer::Make(const HttpServerOptions& options, HttpHandler handler) {
  LAGOA_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<HttpServer>(new HttpServer(std::make_unique<Impl>(options, std::move(handler))));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  Impl& s = *impl_;
  beast::error_code ec;
  auto address = asio::ip::make_address(s.options.host, ec);
  if (ec) return Status::InvalidArgument(fmt::format("http address `{}`: not an IP address", s.options.host));
  tcp::endpoint endpoint(address, s.options.port);
  std::string where = fmt::format("{}:{}", s.options.host, s.options.port);
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable(fmt::format("cannot listen for HTTP on {}: {}", where, ec.message()));
  s.bound_port = s.acceptor.local_endpoint().port();
  s.work.emplace(s.ioc.get_executor());
  s.DoAccept();
  for (uint32_t i = 0; i < s.options.threads; ++i) {
    s.threads.emplace_back([&s, i] {
      SetCurrentThreadName("lagoa-http-" + std::to_string(i));
      for (;;) {
        try {
          s.ioc.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("http: I/O thread caught: {}", e.what());
        }
      }
    });
  }
  s.started = true;
  return Status::Ok();
}

void HttpServer::Stop() {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  s.stopping = true;
  asio::post(s.acceptor.get_executor(), [&s] {
    beast::error_code ignored;
    s.acceptor.close(ignored);
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(s.options.drain_timeout_ms);
  while (s.connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard lock(s.sessions_mu);
      for (auto& [raw, weak] : s.sessions) {
        if (auto strong = weak.lock()) live.push_back(std::move(strong));
      }
    }
    for (auto& session : live) session->CloseIfIdle();
    live.clear();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  s.work.reset();
  s.ioc.stop();
  for (auto& t : s.threads) t.join();
  s.threads.clear();
}

uint16_t HttpServer::port() const { return impl_->bound_port; }

}  // namespace lagoa::http
