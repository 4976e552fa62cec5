#include "ingest/ingest_service.h"

#include <atomic>
#include <future>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>

#include "base/clock.h"
#include "base/crc32c.h"
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
      registry.GetCounter("lagoa_ingest_bytes_total",
                          "Bytes of accepted requests: JSON bodies after decompression, or typed records.", labels),
      registry.GetCounter("lagoa_ingest_rejected_events_total", "Events rejected to the dead-letter stream.", labels)};
}

// The registry takes a lock per lookup; each thread keeps the pointers it has seen.
StreamMetrics MetricsFor(const std::string& stream) {
  thread_local std::unordered_map<std::string, StreamMetrics> cache;
  auto it = cache.find(stream);
  if (it == cache.end()) it = cache.emplace(stream, LookUpMetrics(stream)).first;
  return it->second;
}

Status AppendError(const Status& status) {
  if (status.code() == StatusCode::kResourceExhausted) {
    return Status::ResourceExhausted("the log's write queue is full; retry in a second: " + status.message());
  }
  return status;
}

// Everything a request needs after its appends are queued; completed on the log's I/O thread.
struct Completion {
  AppendDone done;
  std::string stream;
  uint64_t body_bytes = 0;
  AppendOutcome outcome;
  std::mutex mu;
  int pending = 0;  // appends not yet called back; REQUIRES: mu held
  std::optional<Result<log::AppendResult>> main_result;
  bool dead_letters_duplicate = false;

  void Finish() {
    if (main_result && !main_result->ok()) return done(AppendError(main_result->status()));
    if (!outcome.dead_letter_status.ok() && outcome.accepted == 0) {
      return done(AppendError(outcome.dead_letter_status));
    }
    if (main_result) {
      const log::AppendResult& appended = **main_result;
      outcome.first_offset = appended.first_offset;
      outcome.last_offset = appended.last_offset;
      outcome.duplicate = appended.duplicate;
      if (outcome.duplicate) {
        outcome.accepted = static_cast<uint64_t>(appended.last_offset.value() - appended.first_offset.value() + 1);
      }
    } else {
      outcome.duplicate = dead_letters_duplicate;
    }
    if (!outcome.duplicate) {  // a retry's events were counted with its first try
      StreamMetrics metrics = MetricsFor(stream);
      if (outcome.accepted > 0) {
        metrics.events->Add(outcome.accepted);
        metrics.bytes->Add(body_bytes);
      }
      if (outcome.dead_letter_status.ok()) metrics.rejected->Add(outcome.rejected);
    }
    done(std::move(outcome));
  }

  // Called once per append.
  void OnAppend(bool is_main, Result<log::AppendResult> result) {
    bool last;
    {
      std::lock_guard lock(mu);
      if (is_main) {
        main_result = std::move(result);
      } else if (!result.ok()) {
        outcome.dead_letter_status = result.status();
      } else {
        dead_letters_duplicate = result->duplicate;
      }
      last = --pending == 0;
    }
    if (last) Finish();
  }
};

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

// Queues the appends of `batch` (may be empty) and of the dead letters, and calls
// completion->Finish() once both are durable.
// With an idempotency key, both appends carry it and the main one goes to the key's partition.
void StartAppends(const std::shared_ptr<Completion>& completion, const StreamHandle& handle,
                  std::optional<log::BatchBuilder> batch, std::optional<log::BatchBuilder> dead_letters,
                  const std::optional<StreamHandle>& dlq, const std::string& key) {
  const bool has_main = batch && !batch->empty();
  completion->pending = (has_main ? 1 : 0) + (dead_letters ? 1 : 0);
  if (completion->pending == 0) return completion->Finish();
  if (!key.empty()) {
    if (has_main) batch->set_producer_key(key);
    if (dead_letters) dead_letters->set_producer_key(key);
  }
  if (has_main) {
    static std::atomic<uint32_t> round_robin{0};
    const auto partitions = static_cast<uint32_t>(handle.log->partition_count());
    const uint32_t pick = key.empty() ? round_robin.fetch_add(1) : Crc32c(AsBytes(key));
    completion->outcome.partition = PartitionId(static_cast<int32_t>(pick % partitions));
    handle.log->partition(completion->outcome.partition)
        ->Append(std::move(*batch),
                 [completion](Result<log::AppendResult> r) { completion->OnAppend(true, std::move(r)); });
  }
  if (dead_letters) {
    dlq->log->partition(PartitionId(0))->Append(std::move(*dead_letters), [completion](Result<log::AppendResult> r) {
      completion->OnAppend(false, std::move(r));
    });
  }
}

}  // namespace

IngestService::IngestService(StreamRegistry* registry, IngestOptions options)
    : registry_(registry), options_(std::move(options)) {}

Result<StreamHandle> IngestService::Target(const std::string& stream, bool may_create, int64_t received_us) {
  if (StreamRegistry::IsDeadLetterName(stream)) {
    return Status::InvalidArgument(fmt::format("stream `{}` is a dead-letter stream; only lagoa writes to it", stream));
  }
  if (std::optional<StreamHandle> handle = registry_->Find(stream)) return *std::move(handle);
  if (!may_create || !options_.auto_create_streams) {
    return Status::NotFound(fmt::format(
        "stream `{}` does not exist; create it with PUT /v1/streams/{}, CREATE STREAM or `lagoa stream create`", stream,
        stream));
  }
  if (options_.check_new_name) LAGOA_RETURN_IF_ERROR(options_.check_new_name(stream));
  schema::StreamDefinition def;
  def.name = stream;
  def.infer = true;
  def.versions.push_back(schema::Schema{SchemaVersion(1), {}});
  def.created_us = received_us;
  auto created = registry_->Create(std::move(def));
  if (created.ok()) return std::move(created).value();
  if (created.status().code() != StatusCode::kAlreadyExists) return created.status();
  // Created meanwhile by another request, or a stream spelled in another case holds the name.
  if (std::optional<StreamHandle> handle = registry_->Find(stream)) return *std::move(handle);
  return created.status();
}

Status ValidateIdempotencyKey(std::string_view key) {
  bool ok = !key.empty() && key.size() <= log::kProducerKeyBytesMax;
  for (char c : key) ok = ok && c >= 0x21 && c <= 0x7E;
  if (ok) return Status::Ok();
  return Status::InvalidArgument(fmt::format("idempotency key of {} bytes: expected 1 to {} bytes of visible ASCII",
                                             key.size(), log::kProducerKeyBytesMax));
}

void IngestService::AppendJson(JsonAppend&& request, AppendDone done) {
  const int64_t received_us = WallNowMicros();
  if (!request.idempotency_key.empty()) {
    if (Status s = ValidateIdempotencyKey(request.idempotency_key); !s.ok()) return done(s);
  }
  Result<StreamHandle> target = Target(request.stream, /*may_create=*/true, received_us);
  if (!target.ok()) return done(target.status());
  std::optional<StreamHandle> handle = std::move(target).value();
  const uint64_t body_bytes = request.body.size();
  if (body_bytes > options_.max_body_bytes) {
    return done(Status::InvalidArgument(
        fmt::format("the body holds {} bytes; at most {} are taken", body_bytes, options_.max_body_bytes)));
  }
  std::string body = std::move(request.body);
  const size_t size = PadBody(body);
  auto docs = SplitEvents(std::string_view(body.data(), size), request.format);
  if (!docs.ok()) return done(docs.status());

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
  completion->outcome.accepted = batch->record_count();
  completion->outcome.rejected = rejections.size();
  for (size_t i = 0; i < rejections.size() && i < options_.errors_listed_max; ++i) {
    completion->outcome.errors.push_back({rejections[i].line, rejections[i].error});
  }
  std::optional<log::BatchBuilder> dead_letters;
  std::optional<StreamHandle> dlq;
  if (!rejections.empty()) {
    dlq = registry_->Find(StreamRegistry::DeadLetterName(request.stream));
    if (!dlq) {
      completion->outcome.dead_letter_status =
          Status::NotFound(fmt::format("dead-letter stream of `{}` is missing", request.stream));
    } else {
      auto built = DeadLetterBatch(*dlq, rejections, received_us);
      if (built.ok()) {
        dead_letters = std::move(built).value();
      } else {
        completion->outcome.dead_letter_status = built.status();
      }
    }
  }
  // The body's memory can go before the appends complete.
  rejections.clear();
  docs = std::vector<EventDocument>{};
  std::string().swap(body);
  StartAppends(completion, *handle, std::move(batch), std::move(dead_letters), dlq, request.idempotency_key);
}

void IngestService::AppendRecords(RecordAppend&& request, AppendDone done) {
  if (!request.idempotency_key.empty()) {
    if (Status s = ValidateIdempotencyKey(request.idempotency_key); !s.ok()) return done(s);
  }
  Result<StreamHandle> target = Target(request.stream, /*may_create=*/false, 0);
  if (!target.ok()) return done(target.status());
  const SchemaVersion version = request.batch.schema_version();
  if (target->definition->version(version) == nullptr) {
    return done(
        Status::InvalidArgument(fmt::format("stream `{}` has no schema version {}; its latest is {}", request.stream,
                                            version.value(), target->definition->latest().version.value())));
  }
  auto completion = std::make_shared<Completion>();
  completion->done = std::move(done);
  completion->stream = request.stream;
  completion->body_bytes = request.batch.framed_bytes();
  completion->outcome.accepted = request.batch.record_count();
  StartAppends(completion, *target, std::move(request.batch), std::nullopt, std::nullopt, request.idempotency_key);
}

Result<AppendOutcome> IngestService::AppendRecordsAndWait(RecordAppend&& request) {
  std::promise<Result<AppendOutcome>> promise;
  std::future<Result<AppendOutcome>> answer = promise.get_future();
  AppendRecords(std::move(request),
                [&promise](Result<AppendOutcome> outcome) { promise.set_value(std::move(outcome)); });
  return answer.get();
}

}  // namespace lagoa::ingest
