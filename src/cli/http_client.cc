#include "cli/http_client.h"

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include <cstdlib>

namespace lagoa::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpClient::Impl {
  std::string host;
  std::string port;
  std::string token;  // LAGOA_TOKEN (set by --token): sent as a bearer token when not empty
  asio::io_context ioc;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  Status Connect() {
    tcp::resolver resolver(ioc);
    beast::error_code ec;
    auto results = resolver.resolve(host, port, ec);
    if (ec) return Status::Unavailable(fmt::format("cannot resolve {}: {}", host, ec.message()));
    stream = std::make_unique<beast::tcp_stream>(ioc);
    stream->connect(results, ec);
    if (ec) {
      stream.reset();
      return Status::Unavailable(
          fmt::format("cannot connect to http://{}:{}: {} (is `lagoa server` running?)", host, port, ec.message()));
    }
    return Status::Ok();
  }
};

std::string HttpResult::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (beast::iequals(k, name)) return v;
  }
  return {};
}

std::string UrlEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

Result<std::unique_ptr<HttpClient>> HttpClient::Make(const std::string& base_url) {
  std::string_view rest = base_url;
  if (!rest.starts_with("http://")) {
    return Status::InvalidArgument(fmt::format("--url `{}`: expected http://HOST:PORT", base_url));
  }
  rest.remove_prefix(7);
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  auto impl = std::make_unique<Impl>();
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || rest.find('/') != std::string_view::npos) {
    return Status::InvalidArgument(fmt::format("--url `{}`: expected http://HOST:PORT", base_url));
  }
  impl->host = std::string(rest.substr(0, colon));
  impl->port = std::string(rest.substr(colon + 1));
  if (const char* token = std::getenv("LAGOA_TOKEN"); token != nullptr) impl->token = token;
  return std::unique_ptr<HttpClient>(new HttpClient(base_url, std::move(impl)));
}

HttpClient::HttpClient(std::string base_url, std::unique_ptr<Impl> impl)
    : base_url_(std::move(base_url)), impl_(std::move(impl)) {}

HttpClient::~HttpClient() = default;

Result<HttpResult> HttpClient::Request(const std::string& method, const std::string& target, const std::string& body,
                                       const std::string& content_type,
                                       const std::vector<std::pair<std::string, std::string>>& headers) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool fresh = impl_->stream == nullptr;
    if (fresh) LAGOA_RETURN_IF_ERROR(impl_->Connect());
    http::request<http::string_body> req(http::string_to_verb(method), target, 11);
    req.set(http::field::host, impl_->host);
    req.set(http::field::user_agent, "lagoa-cli");
    if (!impl_->token.empty()) req.set(http::field::authorization, "Bearer " + impl_->token);
    for (const auto& [name, value] : headers) req.set(name, value);
    if (!body.empty() || method == "POST" || method == "PUT") {
      req.set(http::field::content_type, content_type);
      req.body() = body;
    }
    req.keep_alive(true);
    req.prepare_payload();
    beast::error_code ec;
    http::write(*impl_->stream, req, ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 30);
    if (!ec) http::read(*impl_->stream, impl_->buffer, parser, ec);
    if (ec) {
      impl_->stream.reset();
      impl_->buffer.clear();
      if (!fresh) continue;  // the server closed an idle keep-alive connection; once more
      return Status::Unavailable(fmt::format("{} {}{}: {}", method, base_url_, target, ec.message()));
    }
    auto res = parser.release();
    HttpResult out;
    out.status = res.result_int();
    out.body = std::move(res.body());
    for (const auto& field : res)
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    if (!res.keep_alive()) impl_->stream.reset();
    return out;
  }
  return Status::Unavailable(fmt::format("{} {}{}: connection closed", method, base_url_, target));
}

}  // namespace lagoa::cli
