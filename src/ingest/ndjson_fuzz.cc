// libFuzzer target for the NDJSON → record path: body splitting (NDJSON and JSON arrays), the
// JSON encoder against a schema with every type, and decoding each record back to JSON.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/assert.h"
#include "ingest/body.h"
#include "schema/json_encoder.h"
#include "schema/record_decoder.h"
#include "schema/schema.h"

namespace {

std::shared_ptr<const lagoa::schema::StreamDefinition> MakeDefinition() {
  auto columns = lagoa::schema::ParseColumns(
      "b BOOLEAN, i INTEGER, n BIGINT NOT NULL, d DOUBLE, m DECIMAL(10,2), w DECIMAL(38,10), s VARCHAR, "
      "day DATE, t TIMESTAMP, tz TIMESTAMPTZ, j JSON, l LIST(BIGINT), "
      "st STRUCT(a VARCHAR, b LIST(DOUBLE))");
  LAGOA_ASSERT(columns.ok());
  auto def = std::make_shared<lagoa::schema::StreamDefinition>();
  def->name = "fuzz";
  def->versions.push_back(lagoa::schema::Schema{lagoa::SchemaVersion(1), std::move(columns).value()});
  def->event_time_column = "tz";
  return def;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto kDefinition = MakeDefinition();
  static lagoa::schema::JsonRecordEncoder encoder(kDefinition, lagoa::schema::UnknownFieldPolicy::kReject);
  std::string body(reinterpret_cast<const char*>(data), size);
  size_t length = lagoa::ingest::PadBody(body);
  std::string_view content(body.data(), length);
  for (auto format : {lagoa::ingest::BodyFormat::kNdjson, lagoa::ingest::BodyFormat::kJsonArray}) {
    auto docs = lagoa::ingest::SplitEvents(content, format);
    if (!docs.ok()) continue;
    for (const auto& doc : *docs) {
      lagoa::Bytes record;
      lagoa::schema::EncodeInfo info;
      if (!encoder.Encode(doc.text, record, &info).ok()) {
        LAGOA_ASSERT(record.empty());
        continue;
      }
      std::string json;
      LAGOA_ASSERT(lagoa::schema::AppendRecordJson(record, kDefinition->latest(), json).ok());
    }
  }
  return 0;
}
