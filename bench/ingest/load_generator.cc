// lagoa_load_generator: closed-loop ingest load against lagoa (HTTP, NDJSON batches) or, for
// comparison, Redis Streams (XADD over hand-written RESP), reporting throughput and acknowledgement
// latency. See bench/ingest/README.md.
//
//   lagoa_load_generator http  --url http://127.0.0.1:8080 --stream bench --connections 8 --batch 1000 --seconds 20
//   lagoa_load_generator redis --url redis://127.0.0.1:6379 --key bench --connections 8 --pipeline 1000 --seconds 20
//   lagoa_load_generator schema          # the stream schema matching the events
//   lagoa_load_generator sample -n 3     # a few events
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <charconv>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>

#include "events.h"
#include "http_driver.h"
#include "load_run.h"
#include "redis_driver.h"
#include "report.h"

namespace lagoa::bench {
namespace {

struct Options {
  std::string url;
  std::string stream = "bench";
  LoadShape shape;
  size_t batch_events = 1000;
  size_t pipeline = 1;
  uint64_t redis_maxlen = 0;
  size_t event_pool = 65536;
  size_t http_requests_pool_max = 4096;
  double rate_events_per_s = 0;  // http: paced to this many events/s in all; 0: as fast as replies come
  uint64_t seed = 42;
};

struct Target {
  std::string host;
  uint16_t port = 0;
};

// "SCHEME://HOST:PORT" with an optional trailing "/"; nullopt with a message otherwise.
std::optional<Target> ParseUrl(const std::string& url, std::string_view scheme, std::string& error) {
  const std::string prefix = std::string(scheme) + "://";
  std::string_view rest(url);
  if (!rest.starts_with(prefix)) {
    error = fmt::format("--url: expected {}HOST:PORT, got \"{}\"", prefix, url);
    return std::nullopt;
  }
  rest.remove_prefix(prefix.size());
  if (rest.ends_with('/')) rest.remove_suffix(1);
  const size_t colon = rest.rfind(':');
  unsigned port = 0;
  if (colon == std::string_view::npos || colon == 0 ||
      std::from_chars(rest.data() + colon + 1, rest.data() + rest.size(), port).ptr != rest.data() + rest.size() ||
      port == 0 || port > 65535) {
    error = fmt::format("--url: expected {}HOST:PORT with a port 1..65535, got \"{}\"", prefix, url);
    return std::nullopt;
  }
  return Target{std::string(rest.substr(0, colon)), static_cast<uint16_t>(port)};
}

std::string Validate(const Options& o, bool http) {
  const LoadShape& s = o.shape;
  if (s.connections < 1 || s.connections > 10000) return "--connections: expected 1..10000";
  if (s.threads < 1 || s.threads > 64) return "--threads: expected 1..64";
  if (s.seconds <= 0 || s.seconds > 3600) return "--seconds: expected more than 0 and at most 3600";
  if (s.warmup_seconds < 0 || s.warmup_seconds > 600) return "--warmup-seconds: expected 0..600";
  if (s.requests > 0 && s.warmup_seconds > 0) return "--warmup-seconds applies to timed runs only, not with --requests";
  if (o.event_pool < 1 || o.event_pool > 1'000'000) return "--event-pool: expected 1..1000000";
  if (http && (o.batch_events < 1 || o.batch_events > 100'000)) return "--batch: expected 1..100000";
  if (!http && (o.pipeline < 1 || o.pipeline > 100'000)) return "--pipeline: expected 1..100000";
  return {};
}

void AddLoadOptions(CLI::App& app, Options& o) {
  app.add_option("--url", o.url, "server address")->required();
  app.add_option("-c,--connections", o.shape.connections, "concurrent connections")->capture_default_str();
  app.add_option("--threads", o.shape.threads, "client threads (connections are spread over them)")
      ->capture_default_str();
  app.add_option("--seconds", o.shape.seconds, "measured duration")->capture_default_str();
  app.add_option("--warmup-seconds", o.shape.warmup_seconds, "load sent before measuring starts")
      ->capture_default_str();
  app.add_option("--requests", o.shape.requests, "send exactly this many requests (commands) instead of --seconds");
  app.add_option("--event-pool", o.event_pool, "distinct events generated before the run")->capture_default_str();
  app.add_option("--seed", o.seed, "random seed for the events")->capture_default_str();
}

int RunMode(const Options& o, bool http) {
  if (std::string e = Validate(o, http); !e.empty()) {
    std::fprintf(stderr, "error: %s\n", e.c_str());
    return 2;
  }
  std::string error;
  const std::optional<Target> target = ParseUrl(o.url, http ? "http" : "redis", error);
  if (!target) {
    std::fprintf(stderr, "error: %s\n", error.c_str());
    return 2;
  }
  boost::asio::ip::tcp::endpoint endpoint;
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::resolver resolver(io);
    endpoint = *resolver.resolve(target->host, std::to_string(target->port)).begin();
  } catch (const boost::system::system_error& e) {
    std::fprintf(stderr, "error: cannot resolve %s: %s\n", target->host.c_str(), e.what());
    return 2;
  }
  const std::string host_port = fmt::format("{}:{}", target->host, target->port);

  const std::vector<std::string> events = MakeEvents(o.event_pool, o.seed);
  double event_bytes = 0;
  for (const std::string& e : events) event_bytes += static_cast<double>(e.size());
  ReportHeader header{http ? "http" : "redis",
                      host_port,
                      o.shape.connections,
                      o.shape.threads,
                      http ? o.batch_events : 1,
                      http ? 1 : o.pipeline,
                      event_bytes / static_cast<double>(events.size())};

  RunResult result;
  if (http) {
    const std::vector<HttpRequest> pool =
        MakeHttpRequests(events, o.batch_events, o.http_requests_pool_max, host_port, o.stream);
    const double per_connection_requests_per_s =
        o.rate_events_per_s / static_cast<double>(o.batch_events) / static_cast<double>(o.shape.connections);
    result = RunLoad(o.shape, HttpConnectionFactory(endpoint, pool, per_connection_requests_per_s));
  } else {
    const std::vector<RedisCommand> pool = MakeRedisCommands(events, o.stream, o.redis_maxlen);
    result = RunLoad(o.shape, RedisConnectionFactory(endpoint, pool, o.pipeline));
  }
  std::printf("%s\n%s\n", ReportJson(header, result).c_str(), ReportHuman(header, result).c_str());
  std::fflush(stdout);
  return result.stats.requests_ok > 0 ? 0 : 1;
}

}  // namespace
}  // namespace lagoa::bench

namespace {

int Main(int argc, char** argv) {
  using namespace lagoa::bench;
  CLI::App app{"lagoa_load_generator: ingest load against lagoa (HTTP) or Redis Streams"};
  app.require_subcommand(1);
  Options options;

  CLI::App* http = app.add_subcommand("http", "POST NDJSON batches to lagoa");
  AddLoadOptions(*http, options);
  http->add_option("--stream", options.stream, "lagoa stream")->capture_default_str();
  http->add_option("-b,--batch", options.batch_events, "events per request")->capture_default_str();
  http->add_option("--rate", options.rate_events_per_s,
                   "pace the requests to this many events/s in all (a soak's load); 0: as fast as replies come")
      ->capture_default_str();

  CLI::App* redis = app.add_subcommand("redis", "XADD the same events to a Redis stream");
  AddLoadOptions(*redis, options);
  redis->add_option("--key", options.stream, "Redis stream key")->capture_default_str();
  redis->add_option("-p,--pipeline", options.pipeline, "commands in flight per connection")->capture_default_str();
  redis->add_option("--maxlen", options.redis_maxlen, "XADD MAXLEN ~ N (0: no trimming)")->capture_default_str();

  CLI::App* schema = app.add_subcommand("schema", "print the stream schema matching the events");
  size_t sample_count = 3;
  CLI::App* sample = app.add_subcommand("sample", "print events as NDJSON");
  sample->add_option("-n,--count", sample_count, "how many")->capture_default_str();
  sample->add_option("--seed", options.seed, "random seed")->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  if (schema->parsed()) {
    std::printf("%.*s\n", static_cast<int>(kEventSchema.size()), kEventSchema.data());
    return 0;
  }
  if (sample->parsed()) {
    for (const std::string& e : MakeEvents(sample_count, options.seed)) std::printf("%s\n", e.c_str());
    return 0;
  }
  return RunMode(options, http->parsed());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {  // a bug in the generator or a library: say so, not std::terminate
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
