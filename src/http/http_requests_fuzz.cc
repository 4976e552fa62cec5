// libFuzzer target for the HTTP front door as a client meets it: the input's bytes are sent on one
// TCP connection to a running HttpServer (Beast's parser, lagoa's limits, body reservation,
// keep-alive, timeouts, the bearer-token check), then the client half-closes and reads until the
// server closes. The first byte picks the server: one that takes every request, or one that wants a
// token (its requests are mostly answered 401 before their body is read). The handler answers each
// request with what was parsed, so the parsed fields are used. A crash, a sanitizer report or a
// hang (libFuzzer's -timeout) anywhere in the server's threads is a finding.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "http/http_server.h"

namespace {

using lagoa::http::HttpRequest;
using lagoa::http::HttpResponse;
using lagoa::http::HttpServer;
using lagoa::http::HttpServerOptions;
using lagoa::http::Responder;

constexpr int kReadTimeoutMs = 3000;

void Answer(HttpRequest&& request, Responder respond) {
  respond(HttpResponse::Json(
      200, fmt::format(R"({{"method":{},"path":{},"query":{},"type":{},"encoding":{},"key":{},"body_bytes":{}}})",
                       request.method.size(), request.path.size(), request.query.size(), request.content_type.size(),
                       request.content_encoding.size(), request.idempotency_key.size(), request.body.size())));
}

std::unique_ptr<HttpServer> StartServer(bool with_token) {
  HttpServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 2;
  options.max_connections = 64;
  options.connections_per_ip_max = 64;
  options.max_body_bytes = 64 << 10;
  options.body_memory_bytes_max = 1 << 20;
  options.header_timeout_ms = 1000;
  options.body_timeout_ms = 1000;
  options.idle_timeout_ms = 1000;
  options.drain_timeout_ms = 1000;
  if (with_token) options.tokens.push_back({.name = "fuzz", .sha256 = {}});
  auto server = HttpServer::Make(options, Answer);
  if (!server.ok() || !(*server)->Start().ok()) std::abort();
  return std::move(*server);
}

// A connection to the server; closing it resets it (SO_LINGER 0), so that the client's side
// leaves no TIME_WAIT behind: thousands of inputs a second would use up the ephemeral ports.
int Connect(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    const linger reset{.l_onoff = 1, .l_linger = 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return fd;
    ::close(fd);
    ::usleep(10'000);
  }
  std::fprintf(stderr, "http_requests_fuzz: cannot connect to the server on port %u: %s\n", port, std::strerror(errno));
  std::abort();
}

void SendAndDrain(uint16_t port, const uint8_t* data, size_t size) {
  const int fd = Connect(port);
  for (size_t sent = 0; sent < size;) {
    const ssize_t n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server closed (a refused request): what it answered is read below
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::array<char, 16 << 10> buffer;
  for (;;) {
    pollfd ready{.fd = fd, .events = POLLIN, .revents = 0};
    if (::poll(&ready, 1, kReadTimeoutMs) <= 0) break;
    if (::recv(fd, buffer.data(), buffer.size(), 0) <= 0) break;
  }
  ::close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::array<std::unique_ptr<HttpServer>, 2> servers = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return std::array<std::unique_ptr<HttpServer>, 2>{StartServer(false), StartServer(true)};
  }();
  if (size == 0) return 0;
  SendAndDrain(servers[data[0] & 1]->port(), data + 1, size - 1);
  return 0;
}
