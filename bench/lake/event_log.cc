#include "event_log.h"

#include <fmt/format.h>

#include <future>
#include <string>
#include <utility>

#include "base/assert.h"
#include "base/clock.h"
#include "schema/json_encoder.h"

namespace lagoa::bench {
namespace {

constexpr uint32_t kBatchRecords = 10'000;  // about 1 MB of payload per log append
constexpr const char* kCountries[] = {"PT", "BR", "US", "DE", "FR", "JP", "IN", "NG", "MX", "CA"};

// One event whose values all derive from `id`, so every run writes the same rows. Strings vary
// per row (names, URLs) like real events do; countries repeat.
void FormatEvent(uint64_t id, std::string& out) {
  const uint64_t mix = id * 0x9E3779B97F4A7C15ull;
  const int64_t created_us = (1'714'564'800 + static_cast<int64_t>(id / 4)) * 1'000'000;
  const int64_t updated_us = created_us + 3'600'000'000 + static_cast<int64_t>(mix % 1'000'000);
  fmt::format_to(std::back_inserter(out),
                 R"({{"id":{},"user_id":{},"name":"user {} {}","url":"https://example.com/products/{}?ref={}",)"
                 R"("price":{}.{:02},"score":{},"qty":{},"created":"{}","updated":"{}","country":"{}"}})",
                 id, static_cast<int32_t>(mix >> 40), mix % 100'000, id, (mix >> 20) % 50'000, (mix >> 8) % 16,
                 (mix >> 30) % 10'000, id % 100, static_cast<double>(mix >> 11) / 9007199254740992.0,
                 static_cast<int32_t>(mix % 1000), FormatRfc3339Micros(created_us), FormatRfc3339Micros(updated_us),
                 kCountries[mix % 10]);
}

Status AppendBatch(log::Partition* partition, log::BatchBuilder&& batch) {
  std::promise<Result<log::AppendResult>> done;
  partition->Append(std::move(batch), [&done](Result<log::AppendResult> r) { done.set_value(std::move(r)); });
  return done.get_future().get().status();
}

}  // namespace

EventLog::~EventLog() {
  if (log != nullptr) log->Stop();
}

schema::StreamDefinition BenchStreamDefinition() {
  schema::StreamDefinition def;
  def.name = "events";
  auto fields = schema::ParseColumns(
      "id BIGINT NOT NULL, user_id INTEGER, name VARCHAR, url VARCHAR, price DOUBLE, score DOUBLE, qty INTEGER, "
      "created TIMESTAMPTZ, updated TIMESTAMP, country VARCHAR");
  LAGOA_ASSERT(fields.ok());
  def.versions.push_back({SchemaVersion(1), *fields});
  return def;
}

Result<EventLog> BuildEventLog(const std::filesystem::path& dir, uint64_t events) {
  EventLog out;
  out.stream = BenchStreamDefinition();
  log::LogOptions options;
  options.dir = dir;
  options.durability = log::Durability::kNone;
  options.free_space_min_bytes = 0;
  options.free_space_min_percent = 0;
  LAGOA_ASSIGN_OR_RETURN(out.log, log::Log::Open(options));
  LAGOA_RETURN_IF_ERROR(out.log->Start());
  LAGOA_ASSIGN_OR_RETURN(log::Stream * stream, out.log->CreateStream(out.stream.name, {}));
  out.partition = stream->partition(PartitionId(0));

  schema::JsonRecordEncoder encoder(std::make_shared<schema::StreamDefinition>(out.stream),
                                    schema::UnknownFieldPolicy::kReject);
  std::string json;
  Bytes record;
  log::BatchBuilder batch(SchemaVersion(1));
  for (uint64_t id = 0; id < events; ++id) {
    json.clear();
    FormatEvent(id, json);
    const size_t size = json.size();
    json.append(schema::kJsonPaddingBytes, ' ');
    record.clear();
    LAGOA_RETURN_IF_ERROR(
        encoder.Encode(std::string_view(json.data(), size), record, nullptr).WithContext(fmt::format("event {}", id)));
    batch.Add(1'714'564'800'000'000 + static_cast<int64_t>(id) * 1000, record);
    out.payload_bytes += record.size();
    if (batch.record_count() == kBatchRecords || id + 1 == events) {
      LAGOA_RETURN_IF_ERROR(AppendBatch(out.partition, std::move(batch)));
      batch = log::BatchBuilder(SchemaVersion(1));
    }
  }
  out.events = events;
  return out;
}

}  // namespace lagoa::bench
