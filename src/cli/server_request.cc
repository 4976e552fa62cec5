#include "cli/server_request.h"

#include <simdjson.h>

#include <cstdio>

namespace lagoa::cli {

std::string ServerErrorMessage(const HttpResult& r) {
  std::string message = r.body;
  simdjson::dom::parser parser;
  std::string_view error;
  if (parser.parse(r.body)["error"].get(error) == simdjson::SUCCESS) message = std::string(error);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return message;
}

int PrintServerError(const HttpResult& r) {
  std::fprintf(stderr, "error (HTTP %u): %s\n", r.status, ServerErrorMessage(r).c_str());
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

std::optional<int> RequestJson(const std::string& url, const std::string& method, const std::string& target,
                               const std::string& body, JsonReply* reply) {
  auto client = HttpClient::Make(url);
  if (!client.ok()) return PrintTransportError(client.status());
  auto r = (*client)->Request(method, target, body);
  if (!r.ok()) return PrintTransportError(r.status());
  if (r->status >= 300) return PrintServerError(*r);
  reply->raw = std::move(r->body);
  if (reply->parser.parse(reply->raw).get(reply->doc) != simdjson::SUCCESS) {
    std::fprintf(stderr, "error: the server answered something that is not JSON: %.200s\n", reply->raw.c_str());
    return 2;
  }
  return std::nullopt;
}

std::string Text(simdjson::dom::element e) {
  std::string_view s;
  if (e.get(s) == simdjson::SUCCESS) return std::string(s);
  if (e.is_null()) return "-";
  return simdjson::minify(e);
}

std::string Joined(simdjson::dom::element object, std::string_view key) {
  simdjson::dom::array list;
  if (object[key].get(list) != simdjson::SUCCESS) return "";
  std::string out;
  for (auto item : list) out += (out.empty() ? "" : ", ") + Text(item);
  return out;
}

std::string Field(simdjson::dom::element object, std::string_view key) {
  simdjson::dom::element value;
  if (object[key].get(value) != simdjson::SUCCESS) return "-";
  return Text(value);
}

void PrintAligned(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

}  // namespace lagoa::cli
