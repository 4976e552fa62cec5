#include "ingest/ingest_service.h"

#include <atomic>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>

#include "base/clock.h"
#include "base/json_writer.h"
#include "base/metrics.h"
#include "ingest/body.h"
#include "schema/inference.h"
#include "schema/json_encoder.h"

namespace lagoa::ingest {
namespace {

// Each inferred evolution restarts the request's encoding; this bounds the restarts.
constexpr int kEvolutionsPerRequestMax = 64;

struct Rejection {
  uint64_t line;
  std::string_view text;
  std::string error;
};

// One encoder per stream and schema version per I/O thread: encoders hold parser buffers.
class EncoderCache {
 public:
  schema::JsonRecordEncoder& For(const std::shared_ptr<const schema::StreamDefinition>& def,
                                 const schema::EncoderOptions& options) {
    Entry& entry = entries_[def->name];
    if (entry.definition != def || !SameOptions(entry.options, options) || !entry.encoder) {
      entry.definition = def;
      entry.options = options;
      entry.encoder = std::make_unique<schema::JsonRecordEncoder>(def, options);
    }
    return *entry.encoder;
  }

 private:
  static bool SameOptions(const schema::EncoderOptions& a, const schema::EncoderOptions& b) {
    return a.unknown_fields == b.unknown_fields && a.event_bytes_max == b.event_bytes_max &&
           a.string_bytes_max == b.string_bytes_max && a.record_bytes_max == b.record_bytes_max;
  }
  struct Entry {
    std::shared_ptr<const schema::StreamDefinition> definition;
    schema::EncoderOptions options;
    std::unique_ptr<schema::JsonRecordEncoder> encoder;
  };
  std::unordered_map<std::string, Entry> entries_;
};

// Dead letters keep the whole rejected line, which may be as large as a request body (a line
// rejected for its size included); the lagoa-built JSON around it is bounded by the body limit.
schema::EncoderOptions DeadLetterEncoderOptions() {
  schema::EncoderOptions options;
  options.event_bytes_max = size_t{1} << 31;
  options.string_bytes_max = size_t{1} << 31;
  options.record_bytes_max = size_t{1} << 31;
  return options;
}

thread_local EncoderCache tls_encoders;

struct StreamMetrics {
  Counter* events;
  Counter* bytes;
  Counter* rejected;
};

StreamMetrics LookUpMetrics(const std::string& stream) {
  auto& registry = MetricsRegistry::Global();
  MetricLabels labels = {{"stream", stream}};
  return {
      registry.GetCounter("lagoa_ingest_events_total", "Events accepted and durable.", labels),
      registry.GetCounter("lagoa_ingest_bytes_total", "Request body bytes of accepted requests.", labels),
      registry.GetCounter("lagoa_ingest_rejected_events_total", "Events rejected to the dead-letter stream.", labels)};
}

// The registry takes a lock per lookup; each thread keeps the pointers it has seen.
StreamMetrics MetricsFor(const std::string& stream) {
  thread_local std::unordered_map<std::string, StreamMetrics> cache;
  auto it = cache.find(stream);
  if (it == cache.end()) it = cache.emplace(stream, LookUpMetrics(stream)).first;
  return it->second;
}

IngestReply ErrorReply(unsigned status, const std::string& message, int retry_after_s = 0) {
  JsonWriter w;
  w.BeginObject().Key("error").String(message).Key("status").Uint(status).EndObject();
  return {status, w.Take(), retry_after_s};
}

IngestReply ReplyForAppendError(const Status& status) {
  switch (status.code()) {
    case StatusCode::kResourceExhausted:
      return ErrorReply(429, "the log's write queue is full; retry shortly: " + status.message(), 1);
    case StatusCode::kDiskFull:
      return ErrorReply(507, status.message());
    case StatusCode::kFailedPrecondition:
      return ErrorReply(503, status.message());
    default:
      return ErrorReply(500, status.ToString());
  }
}

// Everything a request needs after its appends are queued; completed on the log's I/O thread.
struct Completion {
  IngestCallback done;
  std::string stream;
  uint64_t body_bytes = 0;
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  int32_t partition = 0;
  std::string errors_json;  // the "errors" array
  std::mutex mu;
  int pending = 0;  // appends not yet called back; REQUIRES: mu held
  std::optional<Result<log::AppendResult>> main_result;
  Status dead_letter_status;

  void Finish() {
    StreamMetrics metrics = MetricsFor(stream);
    if (main_result && !main_result->ok()) return done(ReplyForAppendError(main_result->status()));
    if (!dead_letter_status.ok() && accepted == 0) return done(ReplyForAppendError(dead_letter_status));
    if (accepted > 0) {
      metrics.events->Add(accepted);
      metrics.bytes->Add(body_bytes);
    }
    if (dead_letter_status.ok()) metrics.rejected->Add(rejected);
    JsonWriter w;
    w.BeginObject().Key("accepted").Uint(accepted).Key("rejected").Uint(rejected);
    if (main_result) {
      w.Key("partition").Int(partition);
      w.Key("first_offset").Int((*main_result)->first_offset.value());
      w.Key("last_offset").Int((*main_result)->last_offset.value());
    } else {
      w.Key("first_offset").Null().Key("last_offset").Null();
    }
    w.Key("errors").Raw(errors_json);
    if (!dead_letter_status.ok()) w.Key("dead_letter_error").String(dead_letter_status.message());
    w.EndObject();
    done({accepted > 0 ? 200u : 400u, w.Take(), 0, accepted});
  }

  // Called once per append.
  void OnAppend(bool is_main, Result<log::AppendResult> result) {
    bool last;
    {
      std::lock_guard lock(mu);
      if (is_main) {
        main_result = std::move(result);
      } else if (!result.ok()) {
        dead_letter_status = result.status();
      }
      last = --pending == 0;
    }
    if (last) Finish();
  }
};

std::string ErrorsJson(const std::vector<Rejection>& rejections, size_t max_listed) {
  JsonWriter w;
  w.BeginArray();
  for (size_t i = 0; i < rejections.size() && i < max_listed; ++i) {
    w.BeginObject().Key("line").Uint(rejections[i].line).Key("error").String(rejections[i].error).EndObject();
  }
  w.EndArray();
  return w.Take();
}

Result<log::BatchBuilder> DeadLetterBatch(const StreamHandle& dlq, const std::vector<Rejection>& rejections,
                                          int64_t received_us) {
  auto& encoder = tls_encoders.For(dlq.definition, DeadLetterEncoderOptions());
  log::BatchBuilder batch(dlq.definition->latest().version);
  std::string received = FormatRfc3339Micros(received_us);
  Bytes record;
  for (const auto& r : rejections) {
    JsonWriter w;
    w.BeginObject().Key("line").Uint(r.line).Key("raw").String(r.text).Key("error").String(r.error);
    w.Key("received_at").String(received).EndObject();
    std::string json = w.Take();
    size_t size = PadBody(json);
    record.clear();
    schema::EncodeInfo info;
    LAGOA_RETURN_IF_ERROR(
        encoder.Encode(std::string_view(json.data(), size), record, &info).WithContext("dead-letter record"));
    batch.Add(received_us, record);
  }
  return batch;
}

}  // namespace

IngestService::IngestService(StreamRegistry* registry, IngestOptions options)
    : registry_(registry), options_(options) {}

void IngestService::Ingest(IngestRequest&& request, IngestCallback done) {
  int64_t received_us = WallNowMicros();
  std::optional<StreamHandle> handle = registry_->Find(request.stream);
  if (!handle && !StreamRegistry::IsDeadLetterName(request.stream) && options_.auto_create_streams) {
    if (options_.name_taken && options_.name_taken(request.stream)) {
      return done(ErrorReply(
          409, fmt::format("\"{}\" is the name of a table, not a stream; post events to a stream", request.stream)));
    }
    schema::StreamDefinition def;
    def.name = request.stream;
    def.infer = true;
    def.versions.push_back(schema::Schema{SchemaVersion(1), {}});
    def.created_us = received_us;
    auto created = registry_->Create(std::move(def));
    if (created.ok()) {
      handle = std::move(created).value();
    } else if (created.status().code() == StatusCode::kAlreadyExists) {
      handle = registry_->Find(request.stream);
      // Not created meanwhile by another request: a stream spelled in another case holds the name.
      if (!handle) return done(ErrorReply(409, created.status().message()));
    } else {
      return done(ErrorReply(400, created.status().message()));
    }
  }
  if (!handle) {
    return done(ErrorReply(404, fmt::format("stream `{}` does not exist; create it with PUT /v1/streams/{} or "
                                            "`lagoa stream create`",
                                            request.stream, request.stream)));
  }
  if (StreamRegistry::IsDeadLetterName(request.stream)) {
    return done(
        ErrorReply(400, fmt::format("stream `{}` is a dead-letter stream; only lagoa writes to it", request.stream)));
  }
  uint64_t body_bytes = request.body.size();
  const std::string& encoding = request.content_encoding;
  if (!encoding.empty() && encoding != "identity" && encoding != "gzip" && encoding != "x-gzip" && encoding != "zstd") {
    return done(ErrorReply(
        415, fmt::format("Content-Encoding `{}` is not supported; expected gzip, zstd or identity", encoding)));
  }
  std::string body;
  if (Status s = DecodeContent(encoding, std::move(request.body), options_.max_body_bytes, &body); !s.ok()) {
    return done(ErrorReply(s.code() == StatusCode::kOutOfRange ? 413 : 400, s.message()));
  }
  size_t size = PadBody(body);
  std::string_view content(body.data(), size);
  auto docs = SplitEvents(content, DetectBodyFormat(request.content_type, content));
  if (!docs.ok()) return done(ErrorReply(400, docs.status().message()));

  // Encode every event; an inferred schema change restarts the encoding with the new version so
  // that one batch holds one schema version.
  std::vector<Rejection> rejections;
  std::optional<log::BatchBuilder> batch;
  Bytes record;
  for (int attempt = 0;; ++attempt) {
    const auto& def = handle->definition;
    auto policy = def->infer && attempt < kEvolutionsPerRequestMax ? schema::UnknownFieldPolicy::kReport
                                                                   : schema::UnknownFieldPolicy::kReject;
    schema::EncoderOptions encoder_options;
    encoder_options.unknown_fields = policy;
    auto& encoder = tls_encoders.For(def, encoder_options);
    batch.emplace(def->latest().version);
    rejections.clear();
    std::optional<StreamHandle> evolved;
    for (const EventDocument& doc : *docs) {
      record.clear();
      schema::EncodeInfo info;
      Status s = encoder.Encode(doc.text, record, &info);
      if (!s.ok()) {
        rejections.push_back({doc.line, doc.text, s.message()});
        continue;
      }
      if (info.unknown_fields.empty()) {
        batch->Add(info.event_time_us.value_or(received_us), record);
        continue;
      }
      auto fields = schema::InferFields(doc.text, &def->latest());
      if (!fields.ok()) {
        rejections.push_back({doc.line, doc.text, fields.status().message()});
        continue;
      }
      auto next = registry_->AddColumns(def->name, def->latest().version, std::move(fields).value());
      if (!next.ok()) {
        rejections.push_back({doc.line, doc.text, next.status().message()});
        continue;
      }
      evolved = std::move(next).value();
      break;
    }
    if (!evolved) break;
    handle = std::move(evolved);
  }

  auto completion = std::make_shared<Completion>();
  completion->done = std::move(done);
  completion->stream = request.stream;
  completion->body_bytes = body_bytes;
  completion->accepted = batch->record_count();
  completion->rejected = rejections.size();
  completion->errors_json = ErrorsJson(rejections, options_.errors_listed_max);
  std::optional<log::BatchBuilder> dead_letters;
  std::optional<StreamHandle> dlq;
  if (!rejections.empty()) {
    dlq = registry_->Find(StreamRegistry::DeadLetterName(request.stream));
    if (!dlq) {
      completion->dead_letter_status =
          Status::NotFound(fmt::format("dead-letter stream of `{}` is missing", request.stream));
    } else {
      auto built = DeadLetterBatch(*dlq, rejections, received_us);
      if (built.ok()) {
        dead_letters = std::move(built).value();
      } else {
        completion->dead_letter_status = built.status();
      }
    }
  }
  // The body's memory can go before the appends complete.
  rejections.clear();
  docs = std::vector<EventDocument>{};
  std::string().swap(body);

  bool has_main = !batch->empty();
  completion->pending = (has_main ? 1 : 0) + (dead_letters ? 1 : 0);
  if (completion->pending == 0) return completion->Finish();
  if (has_main) {
    static std::atomic<uint32_t> round_robin{0};
    int32_t partitions = handle->log->partition_count();
    completion->partition = static_cast<int32_t>(round_robin.fetch_add(1) % static_cast<uint32_t>(partitions));
    handle->log->partition(PartitionId(completion->partition))
        ->Append(std::move(*batch),
                 [completion](Result<log::AppendResult> r) { completion->OnAppend(true, std::move(r)); });
  }
  if (dead_letters) {
    dlq->log->partition(PartitionId(0))->Append(std::move(*dead_letters), [completion](Result<log::AppendResult> r) {
      completion->OnAppend(false, std::move(r));
    });
  }
}

}  // namespace lagoa::ingest
