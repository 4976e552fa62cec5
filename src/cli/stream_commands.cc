#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "base/json_writer.h"
#include "base/parse_number.h"
#include "cli/commands.h"
#include "cli/http_client.h"
#include "cli/server_request.h"

namespace lagoa::cli {

int StreamCreate(const std::string& url, const StreamCreateArgs& args) {
  JsonWriter w;
  w.BeginObject();
  if (!args.schema.empty()) w.Key("schema").String(args.schema);
  if (args.infer) w.Key("infer").Bool(true);
  if (!args.event_time.empty()) w.Key("event_time").String(args.event_time);
  w.Key("partitions").Int(args.partitions);
  if (args.no_lake || !args.partition_by.empty()) {
    w.Key("lake").BeginObject().Key("enabled").Bool(!args.no_lake);
    if (!args.partition_by.empty()) w.Key("partition_by").String(args.partition_by);
    w.EndObject();
  }
  w.EndObject();
  return SimpleRequest(url, "PUT", "/v1/streams/" + UrlEncode(args.name), w.str());
}

int StreamList(const std::string& url) { return SimpleRequest(url, "GET", "/v1/streams"); }

int StreamDescribe(const std::string& url, const std::string& name) {
  return SimpleRequest(url, "GET", "/v1/streams/" + UrlEncode(name));
}

int StreamDrop(const std::string& url, const std::string& name) {
  return SimpleRequest(url, "DELETE", "/v1/streams/" + UrlEncode(name));
}

int Health(const std::string& url) { return SimpleRequest(url, "GET", "/v1/health"); }

int StreamTail(const std::string& url, const TailArgs& args) {
  auto client = HttpClient::Make(url);
  if (!client.ok()) return PrintTransportError(client.status());
  std::optional<int64_t> next = args.from;
  int64_t printed = 0;
  for (;;) {
    int64_t want = 10000;
    if (args.limit >= 0) want = std::min<int64_t>(want, args.limit - printed);
    if (want <= 0) return 0;
    std::string target =
        fmt::format("/v1/streams/{}/events?partition={}&limit={}", UrlEncode(args.name), args.partition, want);
    if (next) target += fmt::format("&from={}", *next);
    if (args.follow) target += "&wait_ms=1000";
    auto r = (*client)->Request("GET", target);
    if (!r.ok()) return PrintTransportError(r.status());
    if (r->status != 200) return PrintServerError(*r);
    std::fwrite(r->body.data(), 1, r->body.size(), stdout);
    std::fflush(stdout);
    for (char c : r->body) printed += c == '\n' ? 1 : 0;
    std::string header = r->Header("Lagoa-Next-Offset");
    const std::optional<int64_t> reported_offset = header.empty() ? 0 : ParseInteger<int64_t>(header);
    if (!reported_offset) {
      std::fprintf(stderr, "error: the server answered Lagoa-Next-Offset: %s; expected an offset\n", header.c_str());
      return 1;
    }
    const int64_t reported = *reported_offset;
    bool caught_up = r->body.empty();
    next = reported;
    if (caught_up && !args.follow) return 0;
  }
}

}  // namespace lagoa::cli
