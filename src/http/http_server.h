// HttpServer: the HTTP/1.1 front door (Boost.Beast). It accepts connections, reads requests with
// keep-alive, enforces the connection, body and time limits, and hands each request to one handler
// function, which answers through a Responder from any thread (often the log's I/O thread after
// an fsync). Beast stays inside http_server.cc so that its headers are compiled once.
//
// Lifecycle: Make() → Start() binds and starts `threads` I/O threads → Stop() stops accepting,
// lets requests in flight finish (bounded by `drain_timeout_ms`), closes idle connections and
// joins the threads. Stop() is idempotent; the destructor calls it.
// Threads: the I/O threads run the sessions; the Handler runs on an I/O thread and must not block;
// a Responder may be called once, from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "http/http_auth.h"

namespace lagoa::http {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string, percent-decoded
  std::map<std::string, std::string> query;
  std::string content_type;      // without parameters, lower case
  std::string content_encoding;  // lower case; empty for identity
  std::string idempotency_key;   // the Idempotency-Key header, as sent
  std::string body;
  std::string remote_address;
  // The name of the bearer token the request carried (HttpServerOptions::tokens); empty when the
  // server takes requests without one.
  std::string principal;

  // The query parameter, or `fallback` if absent.
  std::string Query(const std::string& key, const std::string& fallback = {}) const;
};

// The body of a streamed response, sent with chunked transfer encoding as a producer thread
// makes it, so a large result is never held whole. Bounded: Push blocks while `capacity_bytes`
// are queued and not yet written.
// Lifecycle: the handler makes it and answers with HttpResponse::stream set; the producer then
// calls Push any number of times and ends with Finish (the response is complete) or Abort (the
// connection closes without the final chunk, so the client sees a truncated response rather than
// a complete wrong one). Threads: Push/Finish/Abort from one producer thread; the connection's
// strand calls Take and Cancel.
class ResponseStream {
 public:
  explicit ResponseStream(size_t capacity_bytes = 1u << 20) : capacity_bytes_(capacity_bytes) {}

  // Queues `piece`; false once the client is gone (stop producing).
  bool Push(std::string_view piece);
  void Finish();
  void Abort();

  enum class State { kData, kWaiting, kFinished, kAborted };
  // Moves the queued bytes into `out` (kData). With nothing queued and the stream open, keeps
  // `wake`, calls it once more arrives or the stream ends, and answers kWaiting.
  State Take(std::string* out, std::function<void()> wake);
  // The client went away or the server stops: Push answers false from now on (the producer still
  // ends with Abort or Finish).
  void Cancel();

 private:
  void WakeLocked(std::unique_lock<std::mutex>& lock);

  const size_t capacity_bytes_;
  std::mutex mu_;
  std::condition_variable space_;
  std::string queued_;  // guarded by mu_
  bool finished_ = false;
  bool aborted_ = false;
  bool cancelled_ = false;
  std::function<void()> wake_;  // guarded by mu_
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body comes from this stream (chunked) and `body` is ignored.
  std::shared_ptr<ResponseStream> stream;

  // {"error": message, "status": code}
  static HttpResponse Error(unsigned status, const std::string& message);
  static HttpResponse Json(unsigned status, std::string body);
  // The one table from a Status code to an HTTP status, for every route (README.md, "Errors"):
  // an Error response with the Status's message, and `Retry-After: 1` when retrying soon may work.
  static HttpResponse FromStatus(const Status& status);
  static unsigned StatusFor(StatusCode code);
};

using Responder = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest&&, Responder)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port; see HttpServer::port()
  uint32_t threads = 2;
  // At a limit, a new connection closes the oldest one waiting for a request, or is answered 503
  // when every one is serving a request (ConnectionTable, README.md "Limits").
  uint32_t max_connections = 10000;
  uint32_t connections_per_ip_max = 256;
  uint64_t max_body_bytes = 16ull << 20;
  // Bodies held at once over all connections, reserved as their bytes arrive.
  uint64_t body_memory_bytes_max = 256ull << 20;
  uint32_t header_timeout_ms = 10000;  // a request head must arrive whole within this
  uint32_t body_timeout_ms = 30000;    // a body may pause this long between reads
  uint32_t idle_timeout_ms = 60000;    // a kept-alive connection waits this long for the next request
  uint32_t drain_timeout_ms = 10000;
  // Not empty: every request but GET /v1/health must carry one of these tokens
  // (`Authorization: Bearer TOKEN`), or is answered 401 before its body is read.
  std::vector<HttpToken> tokens;
  Status Validate() const;
};

class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> Make(const HttpServerOptions& options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  Status Start();  // binds; the error names the address when the port is taken
  void Stop();
  uint16_t port() const;  // the bound port, after Start()

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Decodes %XX and '+' in a URL component; false on a malformed escape.
bool PercentDecode(std::string_view in, std::string* out);

}  // namespace lagoa::http
