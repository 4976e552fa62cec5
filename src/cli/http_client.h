// HttpClient: the CLI's blocking HTTP/1.1 client for talking to a running server (keep-alive,
// reconnects once if the server closed an idle connection). Not thread-safe; one per thread.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace lagoa::cli {

struct HttpResult {
  unsigned status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string Header(const std::string& name) const;  // case-insensitive; empty if absent
};

class HttpClient {
 public:
  // `base_url` like http://127.0.0.1:8080 (no path). Requests carry the bearer token in LAGOA_TOKEN,
  // when set (`lagoa --token`).
  static Result<std::unique_ptr<HttpClient>> Make(const std::string& base_url);
  ~HttpClient();

  // Unavailable when the server cannot be reached or the connection breaks before the answer.
  Result<HttpResult> Request(const std::string& method, const std::string& target, const std::string& body = {},
                             const std::string& content_type = "application/json",
                             const std::vector<std::pair<std::string, std::string>>& headers = {});
  const std::string& base_url() const { return base_url_; }

  struct Impl;

 private:
  HttpClient(std::string base_url, std::unique_ptr<Impl> impl);
  std::string base_url_;
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes a path segment or query value.
std::string UrlEncode(std::string_view text);

}  // namespace lagoa::cli
