#include "cli/server_request.h"

#include <simdjson.h>

#include <cstdio>

namespace lagoa::cli {

int PrintServerError(const HttpResult& r) {
  std::string message = r.body;
  simdjson::dom::parser parser;
  std::string_view error;
  if (parser.parse(r.body)["error"].get(error) == simdjson::SUCCESS) message = std::string(error);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  std::fprintf(stderr, "error (HTTP %u): %s\n", r.status, message.c_str());
  return 1;
}

int PrintTransportError(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.message().c_str());
  return 2;
}

int SimpleRequest(const std::string& url, const std::string& method, const std::string& target,
                  const std::string& body) {
  auto client = HttpClient::Make(url);
  if (!client.ok()) return PrintTransportError(client.status());
  auto r = (*client)->Request(method, target, body);
  if (!r.ok()) return PrintTransportError(r.status());
  if (r->status >= 300) return PrintServerError(*r);
  std::fwrite(r->body.data(), 1, r->body.size(), stdout);
  return 0;
}

}  // namespace lagoa::cli
