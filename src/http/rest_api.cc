#include "http/rest_api.h"

#include <charconv>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <boost/asio.hpp>

#include "base/clock.h"
#include "base/json_writer.h"
#include "base/metrics.h"
#include "base/thread_name.h"
#include "http/catalog_api.h"
#include "http/jobs_api.h"
#include "schema/record_decoder.h"
#include "schema/schema.h"

#ifndef LAGOA_VERSION
#define LAGOA_VERSION "0.0.0"
#endif

namespace lagoa::http {

namespace asio = boost::asio;

namespace {

constexpr std::string_view kStreamsPrefix = "/v1/streams/";
constexpr int64_t kTailLimitMax = 100000;
constexpr size_t kTailBytesMax = 8 << 20;
constexpr int64_t kTailWaitMsMax = 30000;
constexpr auto kTailPollInterval = std::chrono::milliseconds(10);

// {"accepted","rejected","duplicate","partition","first_offset","last_offset","errors":[{"line","error"}]}
// and "dead_letter_error" when the rejected events could not be stored.
std::string OutcomeJson(const ingest::AppendOutcome& outcome) {
  JsonWriter w;
  w.BeginObject().Key("accepted").Uint(outcome.accepted).Key("rejected").Uint(outcome.rejected);
  w.Key("duplicate").Bool(outcome.duplicate);
  if (outcome.first_offset) {
    w.Key("partition").Int(outcome.partition.value());
    w.Key("first_offset").Int(outcome.first_offset->value()).Key("last_offset").Int(outcome.last_offset->value());
  } else {
    w.Key("first_offset").Null().Key("last_offset").Null();
  }
  w.Key("errors").BeginArray();
  for (const ingest::RejectedEvent& e : outcome.errors) {
    w.BeginObject().Key("line").Uint(e.line).Key("error").String(e.error).EndObject();
  }
  w.EndArray();
  if (!outcome.dead_letter_status.ok()) w.Key("dead_letter_error").String(outcome.dead_letter_status.message());
  w.EndObject();
  return w.Take();
}

std::optional<int64_t> ParseInt64(const std::string& text) {
  int64_t value;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Result<int64_t> IntParam(const HttpRequest& req, const std::string& key, int64_t fallback, int64_t min, int64_t max) {
  auto it = req.query.find(key);
  if (it == req.query.end()) return fallback;
  auto value = ParseInt64(it->second);
  if (!value || *value < min || *value > max) {
    return Status::InvalidArgument(fmt::format("query parameter `{}`: expected a whole number from {} to {}, got `{}`",
                                               key, min, max, it->second));
  }
  return *value;
}

void WriteStreamSummary(JsonWriter& w, const ingest::StreamHandle& h) {
  int64_t events = 0;
  uint64_t bytes = 0;
  w.Key("partitions").BeginArray();
  for (int32_t p = 0; p < h.log->partition_count(); ++p) {
    log::PartitionStats stats = h.log->partition(PartitionId(p))->stats();
    events += stats.next_offset - stats.start_offset;
    bytes += stats.size_bytes;
    w.BeginObject().Key("partition").Int(p).Key("start_offset").Int(stats.start_offset.value());
    w.Key("next_offset").Int(stats.next_offset.value()).Key("size_bytes").Uint(stats.size_bytes);
    w.Key("segments").Uint(stats.segment_count).EndObject();
  }
  w.EndArray();
  w.Key("events").Int(events).Key("size_bytes").Uint(bytes);
}

int64_t EventCount(log::Stream* stream) {
  int64_t events = 0;
  for (int32_t p = 0; p < stream->partition_count(); ++p) {
    log::PartitionStats stats = stream->partition(PartitionId(p))->stats();
    events += stats.next_offset - stats.start_offset;
  }
  return events;
}

}  // namespace

struct RestApi::Impl {
  ingest::StreamRegistry* registry;
  ingest::IngestService* ingest;
  log::Log* log;
  tables::TableService* table_service;
  std::unique_ptr<TableApi> tables;  // the /v1/tables routes, when there is a table service
  SqlApi* sql;
  catalog::Catalog* catalog;
  std::unique_ptr<CatalogApi> catalog_api;  // the /v1/catalog routes, when there is a catalog
  std::unique_ptr<JobsApi> jobs_api;        // /v1/projects and /v1/jobs, when there is a job service
  asio::io_context timers;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread timer_thread;

  void Route(HttpRequest&& req, Responder respond);
  void ListStreams(const Responder& respond);
  void CreateStream(const std::string& name, const HttpRequest& req, const Responder& respond);
  void DescribeStream(const std::string& name, unsigned status, const Responder& respond);
  void DropStream(const std::string& name, Responder respond);
  void Ingest(const std::string& name, HttpRequest&& req, Responder respond);
  void ReadEvents(const std::string& name, const HttpRequest& req, Responder respond);
  void ReadWhenReady(ingest::StreamHandle handle, int32_t partition, Offset from, int64_t limit,
                     std::chrono::steady_clock::time_point deadline, Responder respond);
  HttpResponse ReadNow(const ingest::StreamHandle& handle, int32_t partition, Offset from, int64_t limit);
};

RestApi::RestApi(RestApiServices services) : impl_(std::make_unique<Impl>()) {
  impl_->table_service = services.tables;
  if (services.tables != nullptr) impl_->tables = std::make_unique<TableApi>(services.tables);
  impl_->sql = services.sql;
  impl_->catalog = services.catalog;
  if (services.catalog != nullptr) impl_->catalog_api = std::make_unique<CatalogApi>(services.catalog);
  if (services.jobs != nullptr) impl_->jobs_api = std::make_unique<JobsApi>(services.jobs);
  impl_->registry = services.registry;
  impl_->ingest = services.ingest;
  impl_->log = services.log;
}

RestApi::~RestApi() { Stop(); }

void RestApi::Start() {
  impl_->work.emplace(impl_->timers.get_executor());
  impl_->timer_thread = std::thread([this] {
    SetCurrentThreadName("lagoa-timers");
    impl_->timers.run();
  });
}

void RestApi::Stop() {
  if (!impl_->timer_thread.joinable()) return;
  impl_->work.reset();
  impl_->timers.stop();
  impl_->timer_thread.join();
}

void RestApi::Handle(HttpRequest&& request, Responder respond) { impl_->Route(std::move(request), std::move(respond)); }

void RestApi::Impl::Route(HttpRequest&& req, Responder respond) {
  const std::string& path = req.path;
  const std::string& method = req.method;
  if (path == "/v1/health") {
    if (method != "GET") return respond(HttpResponse::Error(405, "GET only"));
    JsonWriter w;
    bool failed = log->failed();
    w.BeginObject().Key("status").String(failed ? "failed" : "ok").Key("version").String(LAGOA_VERSION);
    w.Key("log_failed").Bool(failed).EndObject();
    return respond(HttpResponse::Json(failed ? 503 : 200, w.Take()));
  }
  if (path == "/metrics") {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = MetricsRegistry::Global().RenderPrometheusText();
    return respond(std::move(r));
  }
  if (path == "/v1/streams" || path == "/v1/streams/") {
    if (method != "GET")
      return respond(HttpResponse::Error(405, "GET /v1/streams lists streams; use PUT /v1/streams/NAME to create one"));
    return ListStreams(respond);
  }
  if (tables != nullptr && TableApi::Owns(req)) return tables->Handle(std::move(req), std::move(respond));
  if (sql != nullptr && SqlApi::Owns(req)) return sql->Handle(std::move(req), std::move(respond));
  if (catalog_api != nullptr && CatalogApi::Owns(req)) return catalog_api->Handle(std::move(req), std::move(respond));
  if (jobs_api != nullptr && JobsApi::Owns(req)) return jobs_api->Handle(std::move(req), respond);
  if (path.starts_with(kStreamsPrefix)) {
    std::string rest = path.substr(kStreamsPrefix.size());
    size_t slash = rest.find('/');
    std::string name = rest.substr(0, slash);
    std::string tail = slash == std::string::npos ? "" : rest.substr(slash);
    if (tail.empty()) {
      if (method == "PUT") return CreateStream(name, req, respond);
      if (method == "GET") return DescribeStream(name, 200, respond);
      if (method == "DELETE") return DropStream(name, std::move(respond));
      return respond(HttpResponse::Error(405, fmt::format("{} {}: expected GET, PUT or DELETE", method, path)));
    }
    if (tail == "/events") {
      if (method == "POST") return Ingest(name, std::move(req), std::move(respond));
      if (method == "GET") return ReadEvents(name, req, std::move(respond));
      return respond(HttpResponse::Error(405, fmt::format("{} {}: expected POST or GET", method, path)));
    }
  }
  respond(HttpResponse::Error(404, fmt::format("no route for {} {}", method, path)));
}

void RestApi::Impl::ListStreams(const Responder& respond) {
  JsonWriter w;
  w.BeginObject().Key("streams").BeginArray();
  for (const auto& h : registry->List()) {
    if (ingest::StreamRegistry::IsDeadLetterName(h.definition->name)) continue;
    w.BeginObject().Key("name").String(h.definition->name);
    w.Key("schema_version").Uint(h.definition->latest().version.value());
    WriteStreamSummary(w, h);
    auto dlq = registry->Find(ingest::StreamRegistry::DeadLetterName(h.definition->name));
    w.Key("dead_letter_events").Int(dlq ? EventCount(dlq->log) : 0);
    w.EndObject();
  }
  w.EndArray().EndObject();
  respond(HttpResponse::Json(200, w.Take()));
}

void RestApi::Impl::CreateStream(const std::string& name, const HttpRequest& req, const Responder& respond) {
  auto def = schema::StreamDefinitionFromJson(name, req.body);
  if (!def.ok()) return respond(HttpResponse::FromStatus(def.status().WithContext("stream definition")));
  def->created_us = WallNowMicros();
  if (catalog != nullptr && !registry->Find(name)) {  // a stream of that name answers below
    if (Status free = catalog->CheckRelationNameFree(name, "creating a stream"); !free.ok()) {
      return respond(HttpResponse::FromStatus(free));
    }
  }
  auto created = registry->Create(std::move(def).value());
  if (!created.ok()) return respond(HttpResponse::FromStatus(created.status()));
  DescribeStream(name, 201, respond);
}

void RestApi::Impl::DescribeStream(const std::string& name, unsigned status, const Responder& respond) {
  auto h = registry->Find(name);
  if (!h) return respond(HttpResponse::Error(404, fmt::format("stream `{}` does not exist", name)));
  JsonWriter w;
  w.BeginObject().Key("name").String(name).Key("definition").Raw(schema::StreamDefinitionToJson(*h->definition));
  WriteStreamSummary(w, *h);
  if (!ingest::StreamRegistry::IsDeadLetterName(name)) {
    auto dlq = registry->Find(ingest::StreamRegistry::DeadLetterName(name));
    w.Key("dead_letter").BeginObject().Key("name").String(ingest::StreamRegistry::DeadLetterName(name));
    w.Key("events").Int(dlq ? EventCount(dlq->log) : 0).EndObject();
  }
  w.EndObject();
  respond(HttpResponse::Json(status, w.Take()));
}

void RestApi::Impl::DropStream(const std::string& name, Responder respond) {
  Status s = registry->Drop(name);
  if (!s.ok()) return respond(HttpResponse::FromStatus(s));
  if (table_service != nullptr) {
    return table_service->RemoveStreamTable(name, [name, respond = std::move(respond)](const Status& removed) {
      if (!removed.ok()) return respond(HttpResponse::FromStatus(removed));
      JsonWriter w;
      w.BeginObject().Key("dropped").String(name).EndObject();
      respond(HttpResponse::Json(200, w.Take()));
    });
  }
  JsonWriter w;
  w.BeginObject().Key("dropped").String(name).EndObject();
  respond(HttpResponse::Json(200, w.Take()));
}

// Content-Encoding is HTTP's: undone here, under the body limit (413 beyond it, 415 for an
// encoding lagoa does not take), before the events go to the ingest service.
void RestApi::Impl::Ingest(const std::string& name, HttpRequest&& req, Responder respond) {
  const std::string& encoding = req.content_encoding;
  if (!encoding.empty() && encoding != "identity" && encoding != "gzip" && encoding != "x-gzip" && encoding != "zstd") {
    return respond(HttpResponse::Error(
        415, fmt::format("Content-Encoding `{}` is not supported; expected gzip, zstd or identity", encoding)));
  }
  ingest::JsonAppend request{name, {}, ingest::BodyFormat::kNdjson, std::move(req.idempotency_key)};
  Status decoded =
      ingest::DecodeContent(encoding, std::move(req.body), ingest->options().max_body_bytes, &request.body);
  if (!decoded.ok()) {
    return respond(decoded.code() == StatusCode::kOutOfRange ? HttpResponse::Error(413, decoded.message())
                                                             : HttpResponse::FromStatus(decoded));
  }
  request.format = ingest::DetectBodyFormat(req.content_type, request.body);
  ingest->AppendJson(std::move(request), [respond = std::move(respond)](Result<ingest::AppendOutcome> outcome) {
    if (!outcome.ok()) return respond(HttpResponse::FromStatus(outcome.status()));
    respond(HttpResponse::Json(outcome->accepted > 0 ? 200 : 400, OutcomeJson(*outcome)));
  });
}

void RestApi::Impl::ReadEvents(const std::string& name, const HttpRequest& req, Responder respond) {
  auto h = registry->Find(name);
  if (!h) return respond(HttpResponse::Error(404, fmt::format("stream `{}` does not exist", name)));
  auto partition = IntParam(req, "partition", 0, 0, h->log->partition_count() - 1);
  if (!partition.ok()) return respond(HttpResponse::FromStatus(partition.status()));
  log::Partition* p = h->log->partition(PartitionId(static_cast<int32_t>(*partition)));
  auto from = IntParam(req, "from", p->stats().start_offset.value(), 0, INT64_MAX);
  auto limit = IntParam(req, "limit", 1000, 1, kTailLimitMax);
  auto wait_ms = IntParam(req, "wait_ms", 0, 0, kTailWaitMsMax);
  for (const auto* r : {&from, &limit, &wait_ms}) {
    if (!r->ok()) return respond(HttpResponse::FromStatus(r->status()));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(*wait_ms);
  ReadWhenReady(*h, static_cast<int32_t>(*partition), Offset(*from), *limit, deadline, std::move(respond));
}

void RestApi::Impl::ReadWhenReady(ingest::StreamHandle handle, int32_t partition, Offset from, int64_t limit,
                                  std::chrono::steady_clock::time_point deadline, Responder respond) {
  log::Partition* p = handle.log->partition(PartitionId(partition));
  if (p->next_offset() > from || std::chrono::steady_clock::now() >= deadline) {
    return respond(ReadNow(handle, partition, from, limit));
  }
  auto timer = std::make_shared<asio::steady_timer>(timers, kTailPollInterval);
  timer->async_wait([this, timer, handle = std::move(handle), partition, from, limit, deadline,
                     respond = std::move(respond)](boost::system::error_code ec) mutable {
    if (ec) return respond(HttpResponse::Error(503, "server is stopping"));
    ReadWhenReady(std::move(handle), partition, from, limit, deadline, std::move(respond));
  });
}

HttpResponse RestApi::Impl::ReadNow(const ingest::StreamHandle& handle, int32_t partition, Offset from, int64_t limit) {
  log::Partition* p = handle.log->partition(PartitionId(partition));
  HttpResponse r;
  r.content_type = "application/x-ndjson";
  Offset next = from;
  if (from < p->next_offset()) {
    auto reader = p->OpenReader(from);
    if (!reader.ok()) return HttpResponse::FromStatus(reader.status());
    int64_t produced = 0;
    while (produced < limit && r.body.size() < kTailBytesMax) {
      auto records = (*reader)->Next(std::min<size_t>(kTailBytesMax, 1 << 20));
      if (!records.ok()) return HttpResponse::FromStatus(records.status());
      if (records->empty()) break;
      for (const log::ReadRecord& rec : *records) {
        if (produced >= limit) break;
        const schema::Schema* schema = handle.definition->version(rec.schema_version);
        if (schema == nullptr) {
          return HttpResponse::Error(500, fmt::format("offset {}: schema version {} is not in the catalog",
                                                      rec.offset.value(), rec.schema_version.value()));
        }
        std::string fields;
        Status s = schema::AppendRecordJson(rec.payload, *schema, fields);
        if (!s.ok()) return HttpResponse::FromStatus(s.WithContext(fmt::format("offset {}", rec.offset.value())));
        JsonWriter w;
        w.BeginObject().Key("_offset").Int(rec.offset.value()).Key("_partition").Int(partition);
        w.Key("_ingested_at").String(FormatRfc3339Micros(rec.ingest_time_us));
        std::string line = w.Take();  // `{"_offset":..` without its closing brace
        if (fields.size() > 2) {
          line += ',';
          line.append(fields, 1, std::string::npos);
        } else {
          line += '}';
        }
        r.body += line;
        r.body += '\n';
        next = rec.offset + 1;
        ++produced;
      }
    }
  }
  r.headers.emplace_back("Lagoa-Next-Offset", std::to_string(next.value()));
  return r;
}

}  // namespace lagoa::http
