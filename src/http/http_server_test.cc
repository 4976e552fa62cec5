#include "http/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "base/metrics.h"

namespace lagoa::http {
namespace {

// A blocking loopback client speaking just enough HTTP/1.1 for these tests.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawClient() { ::close(fd_); }
  bool connected() const { return connected_; }

  void Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }

  // Reads one response (Content-Length framed); returns "" if the connection closed first.
  std::string ReadResponse() {
    for (;;) {
      size_t header_end = buffer_.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        size_t length = 0;
        size_t at = buffer_.find("Content-Length: ");
        if (at != std::string::npos && at < header_end) length = std::stoul(buffer_.substr(at + 16));
        if (buffer_.size() >= header_end + 4 + length) {
          std::string response = buffer_.substr(0, header_end + 4 + length);
          buffer_.erase(0, header_end + 4 + length);
          return response;
        }
      }
      char chunk[65536];
      ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return "";
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

std::string Post(const std::string& path, const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson; charset=utf-8\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::unique_ptr<HttpServer> Start(HttpServerOptions options, HttpHandler handler) {
  options.port = 0;
  auto server = HttpServer::Make(options, std::move(handler));
  EXPECT_TRUE(server.ok());
  EXPECT_TRUE((*server)->Start().ok());
  return std::move(server).value();
}

TEST(HttpServer, ServesManyRequestsOnOneKeepAliveConnectionAndAnswersFromOtherThreads) {
  auto server = Start({}, [](HttpRequest&& req, Responder respond) {
    std::thread([req = std::move(req), respond = std::move(respond)] {
      respond(HttpResponse::Json(200, "{\"path\":\"" + req.path + "\",\"q\":\"" + req.Query("a") + "\",\"ct\":\"" +
                                          req.content_type + "\",\"n\":" + std::to_string(req.body.size()) + "}"));
    }).detach();
  });
  RawClient client(server->port());
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 50; ++i) {
    client.Send(Post("/v1/x%20y?a=b%2Bc&z", std::string(static_cast<size_t>(i), 'x')));
    std::string response = client.ReadResponse();
    ASSERT_NE(response.find("HTTP/1.1 200"), std::string::npos) << response;
    EXPECT_NE(response.find("\"path\":\"/v1/x y\",\"q\":\"b+c\",\"ct\":\"application/x-ndjson\",\"n\":" +
                            std::to_string(i) + "}"),
              std::string::npos)
        << response;
  }
}

TEST(HttpServer, RefusesBodiesOverTheLimitBeforeReadingThem) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  auto server = Start(options, [](HttpRequest&&, const Responder& respond) { respond(HttpResponse::Json(200, "{}")); });
  RawClient client(server->port());
  client.Send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
  std::string response = client.ReadResponse();
  EXPECT_NE(response.find("HTTP/1.1 413"), std::string::npos) << response;
  EXPECT_NE(response.find("exceeds the limit of 1024 bytes"), std::string::npos) << response;

  RawClient chunked(server->port());
  chunked.Send("POST /e HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + std::string(2048, 'a') +
               "\r\n0\r\n\r\n");
  EXPECT_NE(chunked.ReadResponse().find("HTTP/1.1 413"), std::string::npos);
}

Gauge* IngestMemoryHeld() {
  return MetricsRegistry::Global().GetGauge("lagoa_memory_used_bytes", "", {{"share", "ingest"}});
}

// Waits until `done` or 10 s; answers `done()`.
template <typename Predicate>
bool WaitFor(Predicate done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

TEST(HttpServer, ReservesBodyMemoryAsBytesArriveNotAsContentLengthClaims) {
  HttpServerOptions options;
  options.max_body_bytes = 1 << 20;
  options.body_memory_bytes_max = 2 << 20;
  auto server = Start(options, [](HttpRequest&&, const Responder& respond) { respond(HttpResponse::Json(200, "{}")); });
  // Sixteen clients announce 1 MiB bodies (8 MiB in all, four times the budget) and send 3 bytes.
  std::vector<std::unique_ptr<RawClient>> stalled;
  for (int i = 0; i < 16; ++i) {
    stalled.push_back(std::make_unique<RawClient>(server->port()));
    stalled.back()->Send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\nabc");
  }
  ASSERT_TRUE(WaitFor([] { return IngestMemoryHeld()->value() >= int64_t{16} * 16 * 1024; }));
  EXPECT_LE(IngestMemoryHeld()->value(), int64_t{16} * 16 * 1024)
      << "a body holds its first 16 KiB step, not its length";
  RawClient c(server->port());
  c.Send(Post("/e", "{}"));
  EXPECT_NE(c.ReadResponse().find("HTTP/1.1 200"), std::string::npos);
}

TEST(HttpServer, AnswersTooManyRequestsWhenArrivedBodiesSpendTheBudget) {
  HttpServerOptions options;
  options.max_body_bytes = 1 << 20;
  options.body_memory_bytes_max = (1 << 20) + (8 << 10);
  auto server = Start(options, [](HttpRequest&&, const Responder& respond) { respond(HttpResponse::Json(200, "{}")); });
  // One client sends all but one byte of a 1 MiB body: it holds 1 MiB (its read buffer stays
  // small: a budget that holds one body of max_body_bytes must take that body).
  RawClient a(server->port());
  a.Send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n" + std::string(1048575, 'x'));
  ASSERT_TRUE(WaitFor([] { return IngestMemoryHeld()->value() == 1 << 20; })) << IngestMemoryHeld()->value();
  RawClient b(server->port());
  b.Send(Post("/e", std::string(10000, 'y')));  // more than the 8 KiB left
  std::string response = b.ReadResponse();
  EXPECT_NE(response.find("HTTP/1.1 429"), std::string::npos) << response;
  EXPECT_NE(response.find("Retry-After: 1"), std::string::npos) << response;
  EXPECT_NE(response.find("ingest_memory_bytes_max"), std::string::npos) << response;
  // Finishing the body and answering it frees its share of the budget.
  a.Send("x");
  EXPECT_NE(a.ReadResponse().find("HTTP/1.1 200"), std::string::npos);
  RawClient d(server->port());
  d.Send(Post("/e", std::string(100, 'y')));
  EXPECT_NE(d.ReadResponse().find("HTTP/1.1 200"), std::string::npos);
}

TEST(HttpServer, ClosesConnectionsPastTheHeaderBodyAndIdleTimeouts) {
  HttpServerOptions options;
  options.header_timeout_ms = 200;
  options.body_timeout_ms = 200;
  options.idle_timeout_ms = 300;
  auto server = Start(options, [](HttpRequest&&, const Responder& respond) { respond(HttpResponse::Json(200, "{}")); });
  const auto start = std::chrono::steady_clock::now();
  RawClient silent(server->port()), half_head(server->port()), stalled_body(server->port()), idle(server->port());
  half_head.Send("POST /e HTTP/1.1\r\nHost: x\r\n");
  stalled_body.Send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\na");
  idle.Send(Post("/e", "{}"));
  EXPECT_NE(idle.ReadResponse().find("HTTP/1.1 200"), std::string::npos);
  EXPECT_EQ(silent.ReadResponse(), "");
  EXPECT_EQ(half_head.ReadResponse(), "");
  EXPECT_EQ(stalled_body.ReadResponse(), "");
  EXPECT_EQ(idle.ReadResponse(), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5)) << "closed by the timeouts, not by "
                                                                                  "the client's 10 s receive timeout";
  EXPECT_TRUE(WaitFor([] { return IngestMemoryHeld()->value() == 0; })) << "the stalled body's memory is released";
}

TEST(HttpServer, AFloodOfIdleConnectionsCannotKeepOutANewRequest) {
  HttpServerOptions options;
  options.max_connections = 8;
  options.connections_per_ip_max = 8;
  auto server = Start(options, [](HttpRequest&&, const Responder& respond) { respond(HttpResponse::Json(200, "{}")); });
  RawClient kept_alive(server->port());
  kept_alive.Send(Post("/e", "{}"));
  ASSERT_NE(kept_alive.ReadResponse().find("HTTP/1.1 200"), std::string::npos);
  std::vector<std::unique_ptr<RawClient>> flood;
  flood.reserve(40);
  for (int i = 0; i < 40; ++i) flood.push_back(std::make_unique<RawClient>(server->port()));
  RawClient late(server->port());
  late.Send(Post("/e", "{}"));
  EXPECT_NE(late.ReadResponse().find("HTTP/1.1 200"), std::string::npos);
  // Connections that never sent a request were evicted first: the kept-alive one still serves.
  kept_alive.Send(Post("/e", "{}"));
  EXPECT_NE(kept_alive.ReadResponse().find("HTTP/1.1 200"), std::string::npos);
}

TEST(HttpServer, RefusesWith503NamingTheLimitWhenEveryConnectionServesARequest) {
  HttpServerOptions options;
  options.max_connections = 2;
  std::mutex mu;
  std::vector<Responder> pending;
  auto server = Start(options, [&](HttpRequest&&, Responder respond) {
    std::lock_guard lock(mu);
    pending.push_back(std::move(respond));
  });
  RawClient a(server->port()), b(server->port());
  a.Send(Post("/slow", "{}"));
  b.Send(Post("/slow", "{}"));
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(mu);
    return pending.size() == 2;
  }));
  RawClient c(server->port());
  c.Send(Post("/e", "{}"));
  std::string response = c.ReadResponse();
  EXPECT_NE(response.find("HTTP/1.1 503"), std::string::npos) << response;
  EXPECT_NE(response.find("max_connections"), std::string::npos) << response;
  std::lock_guard lock(mu);
  for (auto& respond : pending) respond(HttpResponse::Json(200, "{}"));
  pending.clear();  // a responder holds its connection, which must not outlive the server
}

TEST(HttpServer, StopAnswersTheRequestInFlightAndClosesIdleConnections) {
  std::promise<Responder> pending;
  auto server = Start({}, [&pending](HttpRequest&&, Responder respond) { pending.set_value(std::move(respond)); });
  RawClient busy(server->port()), idle(server->port());
  ASSERT_TRUE(idle.connected());
  busy.Send(Post("/slow", "{}"));
  Responder respond = pending.get_future().get();
  std::thread stopper([&server] { server->Stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  respond(HttpResponse::Json(200, "{\"late\":true}"));
  std::string response = busy.ReadResponse();
  EXPECT_NE(response.find("{\"late\":true}"), std::string::npos) << response;
  EXPECT_NE(response.find("Connection: close"), std::string::npos) << response;
  stopper.join();
  EXPECT_EQ(idle.ReadResponse(), "");
}

TEST(HttpServer, PercentDecodeRejectsMalformedEscapes) {
  std::string out;
  EXPECT_TRUE(PercentDecode("a%41+b", &out));
  EXPECT_EQ(out, "aA b");
  EXPECT_FALSE(PercentDecode("%4", &out));
  EXPECT_FALSE(PercentDecode("%zz", &out));
}

}  // namespace
}  // namespace lagoa::http
