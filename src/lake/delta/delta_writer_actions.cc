#include "lake/delta/delta_writer_actions.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cassert>
#include <random>

#include "base/json_writer.h"

namespace lagoa::lake {
namespace {

using schema::Type;
using schema::TypeId;

void WriteStringMap(JsonWriter& json, const std::map<std::string, std::string>& map) {
  json.BeginObject();
  for (const auto& [key, value] : map) json.Key(key).String(value);
  json.EndObject();
}

void WriteProtocol(JsonWriter& json, const Protocol& p) {
  json.Key("protocol").BeginObject();
  json.Key("minReaderVersion").Int(p.min_reader_version);
  json.Key("minWriterVersion").Int(p.min_writer_version);
  auto features = [&](std::string_view key, const std::vector<std::string>& names) {
    if (names.empty()) return;
    json.Key(key).BeginArray();
    for (const std::string& name : names) json.String(name);
    json.EndArray();
  };
  features("readerFeatures", p.reader_features);
  features("writerFeatures", p.writer_features);
  json.EndObject();
}

void WriteMetadata(JsonWriter& json, const Metadata& m) {
  json.Key("metaData").BeginObject();
  json.Key("id").String(m.id);
  if (!m.name.empty()) json.Key("name").String(m.name);
  if (!m.description.empty()) json.Key("description").String(m.description);
  json.Key("format").BeginObject().Key("provider").String(m.format_provider).Key("options").BeginObject().EndObject();
  json.EndObject();
  json.Key("schemaString").String(m.schema_string);
  json.Key("partitionColumns").BeginArray();
  for (const std::string& column : m.partition_columns) json.String(column);
  json.EndArray();
  json.Key("configuration");
  WriteStringMap(json, m.configuration);
  if (m.created_time_ms) json.Key("createdTime").Int(*m.created_time_ms);
  json.EndObject();
}

void WriteAdd(JsonWriter& json, const AddFile& add) {
  assert(!add.has_deletion_vector && "lagoa writes no deletion vectors");
  json.Key("add").BeginObject();
  json.Key("path").String(EncodeDeltaPath(add.path));
  json.Key("partitionValues").BeginObject();
  for (const auto& [key, value] : add.partition_values) {
    json.Key(key);
    if (value) {
      json.String(*value);
    } else {
      json.Null();
    }
  }
  json.EndObject();
  json.Key("size").Int(add.size_bytes);
  json.Key("modificationTime").Int(add.modification_time_ms);
  json.Key("dataChange").Bool(add.data_change);
  // stats is a JSON document stored as a string, not a nested object.
  if (!add.stats.empty()) json.Key("stats").String(add.stats);
  json.EndObject();
}

void WriteRemove(JsonWriter& json, const RemoveFile& remove) {
  json.Key("remove").BeginObject();
  json.Key("path").String(EncodeDeltaPath(remove.path));
  if (remove.deletion_timestamp_ms) json.Key("deletionTimestamp").Int(*remove.deletion_timestamp_ms);
  json.Key("dataChange").Bool(remove.data_change);
  json.EndObject();
}

void WriteTxn(JsonWriter& json, const Txn& txn) {
  json.Key("txn").BeginObject();
  json.Key("appId").String(txn.app_id);
  json.Key("version").Int(txn.version);
  if (txn.last_updated_ms) json.Key("lastUpdated").Int(*txn.last_updated_ms);
  json.EndObject();
}

void WriteSparkType(JsonWriter& json, const Type& type);

void WriteSparkFields(JsonWriter& json, const std::vector<schema::Field>& fields) {
  json.BeginObject().Key("type").String("struct").Key("fields").BeginArray();
  for (const schema::Field& field : fields) {
    json.BeginObject().Key("name").String(field.name).Key("type");
    WriteSparkType(json, field.type);
    json.Key("nullable").Bool(field.nullable).Key("metadata").BeginObject().EndObject().EndObject();
  }
  json.EndArray().EndObject();
}

void WriteSparkType(JsonWriter& json, const Type& type) {
  switch (type.id()) {
    case TypeId::kBoolean:
      json.String("boolean");
      return;
    case TypeId::kInteger:
      json.String("integer");
      return;
    case TypeId::kBigInt:
      json.String("long");
      return;
    case TypeId::kDouble:
      json.String("double");
      return;
    case TypeId::kDecimal:
      json.String(fmt::format("decimal({},{})", type.precision(), type.scale()));
      return;
    case TypeId::kVarchar:
    case TypeId::kJson:
      json.String("string");
      return;
    case TypeId::kDate:
      json.String("date");
      return;
    // TIMESTAMP would be timestamp_ntz, a reader-version-3 table feature; see the header.
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      json.String("timestamp");
      return;
    case TypeId::kList:
      json.BeginObject().Key("type").String("array").Key("elementType");
      WriteSparkType(json, type.element());
      json.Key("containsNull").Bool(true).EndObject();
      return;
    case TypeId::kStruct:
      WriteSparkFields(json, type.fields());
      return;
  }
  assert(false && "unhandled TypeId");
}

}  // namespace

Result<std::string> SerializeFileStats(const FileStats& stats) {
  simdjson::dom::parser parser;
  JsonWriter json;
  json.BeginObject().Key("numRecords").Int(stats.num_records);
  for (const auto* values : {&stats.min_values_json, &stats.max_values_json}) {
    json.Key(values == &stats.min_values_json ? "minValues" : "maxValues").BeginObject();
    for (const auto& [column, value] : *values) {
      simdjson::dom::element ignored;
      if (parser.parse(value).get(ignored) != simdjson::SUCCESS) {
        return Status::InvalidArgument(fmt::format("stats of column `{}`: `{}` is not one JSON value", column, value));
      }
      json.Key(column).Raw(value);
    }
    json.EndObject();
  }
  json.Key("nullCount").BeginObject();
  for (const auto& [column, count] : stats.null_count) json.Key(column).Int(count);
  json.EndObject().EndObject();
  return json.Take();
}

std::string SerializeAction(const Action& action) {
  JsonWriter json;
  json.BeginObject();
  std::visit(
      [&](const auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, Protocol>) WriteProtocol(json, a);
        if constexpr (std::is_same_v<T, Metadata>) WriteMetadata(json, a);
        if constexpr (std::is_same_v<T, AddFile>) WriteAdd(json, a);
        if constexpr (std::is_same_v<T, RemoveFile>) WriteRemove(json, a);
        if constexpr (std::is_same_v<T, Txn>) WriteTxn(json, a);
        if constexpr (std::is_same_v<T, CommitInfo>) json.Key("commitInfo").BeginObject().EndObject();
      },
      action);
  json.EndObject();
  return json.Take();
}

std::string SerializeCommitInfo(const CommitInfoFields& info) {
  JsonWriter json;
  json.BeginObject().Key("commitInfo").BeginObject();
  json.Key("timestamp").Int(info.timestamp_ms);
  json.Key("operation").String(info.operation);
  json.Key("operationParameters");
  WriteStringMap(json, info.operation_parameters);
  json.Key("engineInfo").String(kEngineInfo);
  json.EndObject().EndObject();
  return json.Take();
}

std::string SerializeCommit(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) {
    assert(line.find('\n') == std::string::npos && "a commit line holds a newline");
    out += line;
    out += '\n';
  }
  return out;
}

std::string EncodeDeltaPath(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    const auto byte = static_cast<unsigned char>(c);
    const bool plain = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~' || c == '/' || c == '=';
    if (plain) {
      out += c;
    } else {
      out += fmt::format("%{:02X}", byte);
    }
  }
  return out;
}

std::string SparkSchemaString(const std::vector<schema::Field>& fields) {
  JsonWriter json;
  WriteSparkFields(json, fields);
  return json.Take();
}

std::string NewTableId() {
  thread_local std::mt19937_64 random(std::random_device{}());
  uint64_t high = random();
  uint64_t low = random();
  high = (high & ~uint64_t{0xF000}) | uint64_t{0x4000};          // version 4
  low = (low & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60);  // variant 10xx
  const std::string hex = fmt::format("{:016x}{:016x}", high, low);
  return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4), hex.substr(16, 4),
                     hex.substr(20, 12));
}

}  // namespace lagoa::lake
