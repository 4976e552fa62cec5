#include "http/http_server.h"

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include "base/json_writer.h"
#include "base/metrics.h"
#include "base/thread_name.h"

namespace lagoa::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// simdjson reads up to 64 bytes past a document; bodies get that much spare capacity so the
// ingest path can parse them in place.
constexpr size_t kBodyPaddingBytes = 64;
constexpr uint32_t kHeaderLimitBytes = 64 * 1024;
constexpr uint32_t kBodyReadTimeoutMs = 60000;
// Beast reads into the connection's buffer as much as its spare capacity allows, so a body read
// through a small buffer costs one recvmsg per packet. Large bodies get this much room while they
// are read (the memory is counted in the body budget); the buffer shrinks back afterwards.
constexpr size_t kBodyReadChunkBytes = 256 * 1024;
constexpr size_t kIdleBufferBytesMax = 16 * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string StripParameters(std::string_view content_type) {
  size_t semicolon = content_type.find(';');
  std::string_view base = content_type.substr(0, semicolon);
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  return Lower(base);
}

void ParseQuery(std::string_view query, std::map<std::string, std::string>* out) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key, value;
    if (!PercentDecode(pair.substr(0, eq), &key)) continue;
    if (eq != std::string_view::npos && !PercentDecode(pair.substr(eq + 1), &value)) continue;
    (*out)[key] = value;
  }
}

}  // namespace

bool PercentDecode(std::string_view in, std::string* out) {
  auto hex = [](char h) -> int {
    if (h >= '0' && h <= '9') return h - '0';
    if (h >= 'a' && h <= 'f') return h - 'a' + 10;
    if (h >= 'A' && h <= 'F') return h - 'A' + 10;
    return -1;
  };
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      *out += ' ';
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      *out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      *out += c;
    }
  }
  return true;
}

std::string HttpRequest::Query(const std::string& key, const std::string& fallback) const {
  auto it = query.find(key);
  return it == query.end() ? fallback : it->second;
}

bool ResponseStream::Push(std::string piece) {
  std::unique_lock lock(mu_);
  space_.wait(lock, [&] { return cancelled_ || queued_.size() < capacity_bytes_; });
  if (cancelled_) return false;
  queued_ += piece;
  WakeLocked(lock);
  return true;
}

void ResponseStream::Finish() {
  std::unique_lock lock(mu_);
  finished_ = true;
  WakeLocked(lock);
}

void ResponseStream::Abort() {
  std::unique_lock lock(mu_);
  aborted_ = true;
  WakeLocked(lock);
}

void ResponseStream::Cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  space_.notify_all();
}

ResponseStream::State ResponseStream::Take(std::string* out, std::function<void()> wake) {
  std::lock_guard lock(mu_);
  if (aborted_) return State::kAborted;
  if (!queued_.empty()) {
    out->swap(queued_);
    queued_.clear();
    space_.notify_all();
    return State::kData;
  }
  if (finished_) return State::kFinished;
  wake_ = std::move(wake);
  return State::kWaiting;
}

void ResponseStream::WakeLocked(std::unique_lock<std::mutex>& lock) {
  std::function<void()> wake = std::move(wake_);
  wake_ = nullptr;
  lock.unlock();
  if (wake) wake();
}

Status HttpServerOptions::Validate() const {
  if (threads == 0) return Status::InvalidArgument("http threads: expected at least 1, got 0");
  if (max_connections == 0) return Status::InvalidArgument("max_connections: expected at least 1, got 0");
  if (max_body_bytes > body_memory_bytes_max) {
    return Status::InvalidArgument(fmt::format("max_body_bytes ({}) must not exceed ingest_memory_bytes_max ({})",
                                               max_body_bytes, body_memory_bytes_max));
  }
  return Status::Ok();
}

class Session;

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler handler;
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::atomic<uint32_t> connections{0};
  std::atomic<uint64_t> body_bytes_reserved{0};
  std::atomic<bool> stopping{false};
  bool started = false;
  bool stopped = false;
  uint16_t bound_port = 0;

  std::mutex sessions_mu;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;  // REQUIRES: sessions_mu held

  Gauge* connections_gauge = MetricsRegistry::Global().GetGauge("lagoa_http_connections", "Open HTTP connections.");
  Counter* refused_connections = MetricsRegistry::Global().GetCounter(
      "lagoa_http_connections_refused_total", "Connections closed at accept because max_connections was reached.");

  // The ingest share of the memory budget (src/server/README.md, "Memory budget").
  Gauge* bodies_gauge = MetricsRegistry::Global().GetGauge(
      "lagoa_memory_used_bytes", "Memory a share of the budget holds now.", {{"share", "ingest"}});

  bool TryReserve(uint64_t bytes) {
    uint64_t current = body_bytes_reserved.load();
    while (current + bytes <= options.body_memory_bytes_max) {
      if (body_bytes_reserved.compare_exchange_weak(current, current + bytes)) {
        bodies_gauge->Add(static_cast<int64_t>(bytes));
        return true;
      }
    }
    return false;
  }
  void Release(uint64_t bytes) {
    body_bytes_reserved.fetch_sub(bytes);
    bodies_gauge->Add(-static_cast<int64_t>(bytes));
  }

  void DoAccept();
};

// One connection. Lives as long as an asynchronous operation holds a shared_ptr to it; all its
// handlers run on its strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, HttpServer::Impl* server) : stream_(std::move(socket)), server_(server) {
    server_->connections.fetch_add(1);
    server_->connections_gauge->Add(1);
  }
  ~Session() {
    ReleaseBody();
    Close();
    std::lock_guard lock(server_->sessions_mu);
    server_->sessions.erase(this);
  }

  void Start() {
    beast::error_code ignored;  // once per connection: getpeername is a system call
    auto endpoint = stream_.socket().remote_endpoint(ignored);
    if (!ignored) remote_address_ = endpoint.address().to_string();
    {
      std::lock_guard lock(server_->sessions_mu);
      server_->sessions.emplace(this, weak_from_this());
    }
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
  }

  // Closes the connection unless a request is being served; used by Stop().
  void CloseIfIdle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->Close();
    });
  }

 private:
  void DoRead() {
    if (server_->stopping) return Close();
    parser_.emplace();
    parser_->header_limit(kHeaderLimitBytes);
    parser_->body_limit(server_->options.max_body_bytes);
    stream_.expires_after(std::chrono::milliseconds(server_->options.idle_timeout_ms));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      busy_ = true;
      keep_alive_ = false;
      return Write(HttpResponse::Error(413, fmt::format("request body exceeds the limit of {} bytes (max_body_bytes)",
                                                        server_->options.max_body_bytes)));
    }
    if (ec) return Close();  // end of stream, timeout, or a malformed header: nothing to answer
    busy_ = true;
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
    std::optional<uint64_t> length;
    if (auto declared = parser_->content_length()) length = *declared;
    if (length && *length > server_->options.max_body_bytes) {
      keep_alive_ = false;
      return Write(HttpResponse::Error(
          413, fmt::format("request body of {} bytes exceeds the limit of {} bytes (max_body_bytes)", *length,
                           server_->options.max_body_bytes)));
    }
    // Without Content-Length only a chunked request has a body (RFC 9112 §6.3); it may use the
    // whole limit, so it reserves the whole limit.
    uint64_t want = length ? *length : (parser_->chunked() ? server_->options.max_body_bytes : 0);
    if (want > 0) {
      if (!server_->TryReserve(want)) {
        keep_alive_ = false;
        HttpResponse busy = HttpResponse::Error(
            429, "the server holds its maximum of request bodies in memory (ingest_memory_bytes_max); retry shortly");
        busy.headers.emplace_back("Retry-After", "1");
        return Write(std::move(busy));
      }
      reserved_bytes_ = want;
      if (length) req.body().reserve(*length + kBodyPaddingBytes);
      buffer_.reserve(std::min<uint64_t>(want, kBodyReadChunkBytes));
    }
    stream_.expires_after(std::chrono::milliseconds(kBodyReadTimeoutMs));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      return Write(HttpResponse::Error(413, fmt::format("request body exceeds the limit of {} bytes (max_body_bytes)",
                                                        server_->options.max_body_bytes)));
    }
    if (ec) return Close();
    if (buffer_.capacity() > kIdleBufferBytesMax) buffer_.shrink_to_fit();
    auto& raw = parser_->get();
    HttpRequest req;
    req.method = std::string(raw.method_string());
    std::string_view target(raw.target().data(), raw.target().size());
    size_t question = target.find('?');
    if (!PercentDecode(target.substr(0, question), &req.path)) {
      return Write(HttpResponse::Error(400, fmt::format("malformed percent-escape in path {}", target)));
    }
    if (question != std::string_view::npos) ParseQuery(target.substr(question + 1), &req.query);
    auto header = [&raw](http::field f) {
      auto v = raw[f];
      return std::string_view(v.data(), v.size());
    };
    req.content_type = StripParameters(header(http::field::content_type));
    req.content_encoding = Lower(header(http::field::content_encoding));
    if (auto key = raw.find("Idempotency-Key"); key != raw.end()) {
      req.idempotency_key = std::string(key->value().data(), key->value().size());
    }
    req.body = std::move(raw.body());
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
    if (response.stream != nullptr) return WriteStreamed(std::move(response));
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
    stream_.expires_after(std::chrono::milliseconds(kBodyReadTimeoutMs));
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      self->OnWrite(ec, res->keep_alive());
    });
  }

  // The header now, then the stream's pieces as chunks as they come, then the last chunk.
  void WriteStreamed(HttpResponse response) {
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
    stream_.expires_after(std::chrono::milliseconds(kBodyReadTimeoutMs));
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
        stream_.expires_after(std::chrono::milliseconds(kBodyReadTimeoutMs));
        return asio::async_write(
            stream_, http::make_chunk_last(),
            [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) { self->OnWrite(ec, keep_alive); });
      case ResponseStream::State::kData:
        stream_.expires_after(std::chrono::milliseconds(kBodyReadTimeoutMs));
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
    DoRead();
  }

  void ReleaseBody() {
    if (reserved_bytes_ > 0) server_->Release(reserved_bytes_);
    reserved_bytes_ = 0;
  }

  // The connection counts as gone once its socket is closed, even while a Responder copy
  // still holds the session.
  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    server_->connections_gauge->Add(-1);
    server_->connections.fetch_sub(1);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpServer::Impl* server_;
  uint64_t reserved_bytes_ = 0;
  std::string remote_address_;
  std::string principal_;  // the token's name of the request being read
  bool busy_ = false;
  bool keep_alive_ = true;
  bool closed_ = false;
};

void HttpServer::Impl::DoAccept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) return;
      spdlog::warn("http: accept failed: {}", ec.message());
    } else if (connections.load() >= options.max_connections) {
      refused_connections->Add(1);
      beast::error_code ignored;
      socket.close(ignored);
    } else {
      // A streamed response ends with small writes (the last chunk); with Nagle they would wait for
      // the client's delayed ACK (~40 ms on Linux) on a kept-alive connection.
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<Session>(std::move(socket), this)->Start();
    }
    if (!stopping) DoAccept();
  });
}

Result<std::unique_ptr<HttpServer>> HttpServer::Make(const HttpServerOptions& options, HttpHandler handler) {
  LAGOA_RETURN_IF_ERROR(options.Validate());
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
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
