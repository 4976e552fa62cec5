#include "schema/schema.h"

#include <algorithm>

#include <simdjson.h>

#include <fmt/format.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/json_writer.h"
#include "schema/value_text_internal.h"

namespace lagoa::schema {
namespace {

constexpr std::string_view kBodyKeys = "schema, columns, event_time, infer, partitions, lake";
constexpr std::string_view kLakeKeys = "enabled, partition_by";
constexpr std::string_view kColumnKeys = "name, type, nullable";

Status ValidateStructTypes(const Type& type, std::string_view column) {
  if (type.id() == TypeId::kList) return ValidateStructTypes(type.element(), column);
  if (type.id() != TypeId::kStruct) return Status::Ok();
  for (const Field& f : type.fields()) {
    if (Status s = ValidateFieldName(f.name); !s.ok()) return s.WithContext(fmt::format("column \"{}\"", column));
    LAGOA_RETURN_IF_ERROR(ValidateStructTypes(f.type, column));
  }
  return Status::Ok();
}

// Reads one entry of "columns": {"name": "a", "type": "BIGINT", "nullable": false}.
Result<Field> ColumnFromJson(simdjson::dom::element element, size_t index) {
  std::string where = fmt::format("columns[{}]", index);
  simdjson::dom::object object;
  if (element.get(object) != simdjson::SUCCESS) {
    return Status::InvalidArgument(
        fmt::format("{}: expected an object like {{\"name\": \"a\", \"type\": \"BIGINT\"}}", where));
  }
  Field field;
  bool has_name = false, has_type = false;
  std::string type_text;
  for (auto [key, value] : object) {
    if (key == "name") {
      std::string_view name;
      if (value.get(name) != simdjson::SUCCESS) return Status::InvalidArgument(where + ": \"name\" must be a string");
      field.name = std::string(name);
      has_name = true;
    } else if (key == "type") {
      std::string_view type;
      if (value.get(type) != simdjson::SUCCESS) return Status::InvalidArgument(where + ": \"type\" must be a string");
      type_text = std::string(type);
      has_type = true;
    } else if (key == "nullable") {
      bool nullable;
      if (value.get(nullable) != simdjson::SUCCESS) {
        return Status::InvalidArgument(where + ": \"nullable\" must be true or false");
      }
      field.nullable = nullable;
    } else {
      return Status::InvalidArgument(fmt::format("{}: unknown key \"{}\"; allowed keys: {}", where, key, kColumnKeys));
    }
  }
  if (!has_name) return Status::InvalidArgument(where + ": missing \"name\"");
  if (!has_type) return Status::InvalidArgument(fmt::format("{} (\"{}\"): missing \"type\"", where, field.name));
  auto type = ParseType(type_text);
  if (!type.ok()) {
    return type.status().WithContext(fmt::format("{} (\"{}\"): type \"{}\"", where, field.name, type_text));
  }
  field.type = std::move(type).value();
  return field;
}

}  // namespace

std::optional<size_t> Schema::FieldIndex(std::string_view name) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == name) return i;
  }
  return std::nullopt;
}

std::optional<size_t> Schema::FieldIndexIgnoringCase(std::string_view name) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (EqualsIgnoreCase(fields[i].name, name)) return i;
  }
  return std::nullopt;
}

Status ValidateFieldName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("a column name must not be empty");
  if (name.size() > kFieldNameBytesMax) {
    return Status::InvalidArgument(fmt::format("column name \"{}…\" is {} bytes; the limit is {}", name.substr(0, 40),
                                               name.size(), kFieldNameBytesMax));
  }
  if (!simdjson::validate_utf8(name.data(), name.size())) {
    return Status::InvalidArgument("a column name must be valid UTF-8");
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return Status::InvalidArgument("a column name must not contain control characters");
    }
  }
  return Status::Ok();
}

Status ValidateColumns(const std::vector<Field>& fields) {
  if (fields.size() > kColumnsMax) {
    return Status::InvalidArgument(fmt::format("{} columns; the limit is {}", fields.size(), kColumnsMax));
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    LAGOA_RETURN_IF_ERROR(ValidateFieldName(fields[i].name));
    LAGOA_RETURN_IF_ERROR(ValidateStructTypes(fields[i].type, fields[i].name));
    for (size_t j = 0; j < i; ++j) {
      if (EqualsIgnoreCase(fields[i].name, fields[j].name)) {
        return Status::InvalidArgument(
            fmt::format("duplicate column name \"{}\" (the same as \"{}\"; names are case-insensitive)", fields[i].name,
                        fields[j].name));
      }
    }
  }
  return Status::Ok();
}

Status ValidateStreamName(std::string_view name) {
  auto allowed = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           (!first && (c == '.' || c == '-'));
  };
  bool ok = !name.empty() && name.size() <= kStreamNameBytesMax;
  for (size_t i = 0; ok && i < name.size(); ++i) ok = allowed(name[i], i == 0);
  if (!ok) {
    std::string_view shown = name.size() > 40 ? name.substr(0, 40) : name;
    return Status::InvalidArgument(fmt::format(
        "invalid stream name \"{}\": use 1 to {} characters of A-Z, a-z, 0-9, '_', '.' and '-', starting with a "
        "letter, digit or '_'",
        shown, kStreamNameBytesMax));
  }
  return Status::Ok();
}

const Schema& StreamDefinition::latest() const {
  LAGOA_ASSERT(!versions.empty());
  return versions.back();
}

const Schema* StreamDefinition::version(SchemaVersion v) const {
  if (v.value() == 0 || v.value() > versions.size()) return nullptr;
  return &versions[v.value() - 1];
}

// The lake's "partition_by": "date(COLUMN)": COLUMN is a TIMESTAMP/TIMESTAMPTZ column of every
// schema version (the first one: later versions only add columns) or a loader time column, and no
// column is named like the partition column `_date`.
namespace {

template <typename Invalid>
Status ValidateDatePartition(const StreamDefinition& def, const Invalid& invalid) {
  const std::string& source = def.lake.date_partition_source;
  if (source.empty()) return Status::Ok();
  for (const Field& f : def.latest().fields) {
    if (EqualsIgnoreCase(f.name, "_date")) {
      return invalid("column \"_date\" collides with the lake's date partition column; rename the column");
    }
  }
  if (source == "_event_time" || source == "_ingested_at") return Status::Ok();
  const Schema& first = def.versions.front();
  auto index = first.FieldIndex(source);
  if (!index) {
    std::string names;
    for (const Field& f : first.fields) {
      const TypeId id = f.type.id();
      if (id == TypeId::kTimestamp || id == TypeId::kTimestampTz) names += (names.empty() ? "" : ", ") + f.name;
    }
    return invalid(
        fmt::format("lake partition_by date({}): no such column; use a TIMESTAMP or TIMESTAMPTZ column "
                    "({}) or _event_time or _ingested_at",
                    source, names.empty() ? "the stream has none" : names));
  }
  const TypeId id = first.fields[*index].type.id();
  if (id != TypeId::kTimestamp && id != TypeId::kTimestampTz) {
    return invalid(fmt::format("lake partition_by date({}): column \"{}\" is {}; it must be TIMESTAMP or TIMESTAMPTZ",
                               source, source, first.fields[*index].type.ToSql()));
  }
  return Status::Ok();
}

}  // namespace

Status ValidateStreamDefinition(const StreamDefinition& def) {
  LAGOA_RETURN_IF_ERROR(ValidateStreamName(def.name));
  auto invalid = [&](std::string message) {
    return Status::InvalidArgument(fmt::format("stream \"{}\": {}", def.name, message));
  };
  if (def.versions.empty()) return invalid("no schema version");
  for (size_t i = 0; i < def.versions.size(); ++i) {
    const Schema& schema = def.versions[i];
    if (schema.version.value() != i + 1) {
      return invalid(fmt::format("schema version {} is numbered {}", i + 1, schema.version.value()));
    }
    if (Status s = ValidateColumns(schema.fields); !s.ok()) {
      return invalid(fmt::format("schema version {}: {}", i + 1, s.message()));
    }
    if (i == 0) continue;
    const Schema& previous = def.versions[i - 1];
    if (schema.fields.size() <= previous.fields.size() ||
        !std::equal(previous.fields.begin(), previous.fields.end(), schema.fields.begin())) {
      return invalid(fmt::format("schema version {} does not extend version {} with new columns", i + 1, i));
    }
    for (size_t k = previous.fields.size(); k < schema.fields.size(); ++k) {
      if (!schema.fields[k].nullable) {
        return invalid(fmt::format("column \"{}\" added in version {} is NOT NULL", schema.fields[k].name, i + 1));
      }
    }
  }
  if (!def.infer && def.latest().fields.empty()) {
    return invalid("a stream needs at least one column unless \"infer\" is true");
  }
  if (def.event_time_column) {
    const Schema& first = def.versions.front();
    auto index = first.FieldIndex(*def.event_time_column);
    if (!index) {
      std::string names;
      for (const Field& f : first.fields) names += (names.empty() ? "" : ", ") + f.name;
      return invalid(
          fmt::format("event_time column \"{}\" is not a declared column (declared: {}); the event-time "
                      "column must be declared because inference types strings as VARCHAR",
                      *def.event_time_column, names.empty() ? "none" : names));
    }
    TypeId id = first.fields[*index].type.id();
    if (id != TypeId::kTimestamp && id != TypeId::kTimestampTz) {
      return invalid(fmt::format("event_time column \"{}\" is {}; it must be TIMESTAMP or TIMESTAMPTZ",
                                 *def.event_time_column, first.fields[*index].type.ToSql()));
    }
  }
  if (def.partitions < 1 || def.partitions > kPartitionsMax) {
    return invalid(fmt::format("partitions must be between 1 and {}, found {}", kPartitionsMax, def.partitions));
  }
  return ValidateDatePartition(def, invalid);
}

Result<StreamDefinition> StreamDefinitionFromJson(std::string_view name, std::string_view json) {
  LAGOA_RETURN_IF_ERROR(ValidateStreamName(name));
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(json.data(), json.size(), true).get(root); error != simdjson::SUCCESS) {
    return Status::InvalidArgument(fmt::format("the body is not valid JSON: {}", simdjson::error_message(error)));
  }
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) {
    return Status::InvalidArgument("expected a JSON object like {\"schema\": \"user_id BIGINT, ts TIMESTAMPTZ\"}");
  }
  StreamDefinition def;
  def.name = std::string(name);
  Schema first{SchemaVersion(1), {}};
  bool has_schema = false, has_columns = false;
  std::vector<std::string_view> seen;
  for (auto [key, value] : object) {
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return Status::InvalidArgument(fmt::format("key \"{}\" appears twice", key));
    }
    seen.push_back(key);
    if (key == "schema") {
      std::string_view sql;
      if (value.get(sql) != simdjson::SUCCESS) {
        return Status::InvalidArgument(
            "\"schema\" must be a string of columns like \"user_id BIGINT, ts TIMESTAMPTZ\"");
      }
      auto columns = ParseColumns(sql);
      if (!columns.ok()) return columns.status().WithContext("\"schema\"");
      first.fields = std::move(columns).value();
      has_schema = true;
    } else if (key == "columns") {
      simdjson::dom::array array;
      if (value.get(array) != simdjson::SUCCESS) {
        return Status::InvalidArgument("\"columns\" must be an array of {\"name\", \"type\", \"nullable\"} objects");
      }
      size_t index = 0;
      for (simdjson::dom::element column : array) {
        if (index == kColumnsMax) {
          return Status::InvalidArgument(fmt::format("\"columns\": more than {} columns", kColumnsMax));
        }
        LAGOA_ASSIGN_OR_RETURN(Field field, ColumnFromJson(column, index++));
        first.fields.push_back(std::move(field));
      }
      has_columns = true;
    } else if (key == "event_time") {
      std::string_view column;
      if (value.is_null()) continue;
      if (value.get(column) != simdjson::SUCCESS) {
        return Status::InvalidArgument("\"event_time\" must be a column name (a string)");
      }
      def.event_time_column = std::string(column);
    } else if (key == "infer") {
      if (value.get(def.infer) != simdjson::SUCCESS) {
        return Status::InvalidArgument("\"infer\" must be true or false");
      }
    } else if (key == "partitions") {
      int64_t partitions;
      if (value.get(partitions) != simdjson::SUCCESS || partitions < 1 || partitions > kPartitionsMax) {
        return Status::InvalidArgument(
            fmt::format("\"partitions\" must be an integer between 1 and {}", kPartitionsMax));
      }
      def.partitions = static_cast<int32_t>(partitions);
    } else if (key == "lake") {
      auto lake = StreamLakeOptionsFromJson(simdjson::minify(value));
      if (!lake.ok()) return lake.status().WithContext("\"lake\"");
      def.lake = *lake;
    } else {
      return Status::InvalidArgument(fmt::format("unknown key \"{}\"; allowed keys: {}", key, kBodyKeys));
    }
  }
  if (has_schema && has_columns) {
    return Status::InvalidArgument("give either \"schema\" or \"columns\", not both");
  }
  if (!has_schema && !has_columns && !def.infer) {
    return Status::InvalidArgument(
        "give the columns as \"schema\" (e.g. \"user_id BIGINT, ts TIMESTAMPTZ\") or \"columns\", or set "
        "\"infer\": true");
  }
  def.versions.push_back(std::move(first));
  LAGOA_RETURN_IF_ERROR(ValidateStreamDefinition(def));
  return def;
}

Result<int64_t> ParseTimestampMicros(std::string_view text) {
  int64_t micros = 0;
  std::string reason;
  if (!internal::ParseTimestamp(text, &micros, &reason)) {
    return Status::InvalidArgument(fmt::format("timestamp \"{}\" {}", text, reason));
  }
  return micros;
}

Result<StreamLakeOptions> StreamLakeOptionsFromJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(json.data(), json.size(), true).get(object) != simdjson::SUCCESS) {
    return Status::InvalidArgument(fmt::format("expected an object like {{\"enabled\": false}}, found {}", json));
  }
  StreamLakeOptions lake;
  for (auto [key, value] : object) {
    if (key == "partition_by") {
      std::string_view text;
      if (value.get(text) != simdjson::SUCCESS || !text.starts_with("date(") || !text.ends_with(")") ||
          text.size() == 6) {
        return Status::InvalidArgument(
            fmt::format("\"partition_by\" must be a string like \"date(ts)\" (the UTC date of a timestamp column), "
                        "found {}",
                        simdjson::minify(value)));
      }
      lake.date_partition_source = std::string(text.substr(5, text.size() - 6));
      continue;
    }
    if (key != "enabled") {
      return Status::InvalidArgument(fmt::format("unknown key \"{}\"; allowed keys: {}", key, kLakeKeys));
    }
    if (value.get(lake.enabled) != simdjson::SUCCESS) {
      return Status::InvalidArgument("\"enabled\" must be true or false");
    }
  }
  return lake;
}

std::string StreamDefinitionToJson(const StreamDefinition& def) {
  JsonWriter w;
  w.BeginObject().Key("name").String(def.name).Key("versions").BeginArray();
  for (const Schema& schema : def.versions) {
    w.BeginObject().Key("version").Uint(schema.version.value()).Key("columns").BeginArray();
    for (const Field& f : schema.fields) {
      w.BeginObject().Key("name").String(f.name).Key("type").String(f.type.ToSql());
      w.Key("nullable").Bool(f.nullable).EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndArray().Key("event_time");
  if (def.event_time_column) {
    w.String(*def.event_time_column);
  } else {
    w.Null();
  }
  w.Key("infer").Bool(def.infer).Key("partitions").Int(def.partitions);
  w.Key("created").String(FormatRfc3339Micros(def.created_us));
  w.Key("lake").BeginObject().Key("enabled").Bool(def.lake.enabled);
  if (!def.lake.date_partition_source.empty()) {
    w.Key("partition_by").String("date(" + def.lake.date_partition_source + ")");
  }
  w.EndObject();
  w.EndObject();
  return w.Take();
}

}  // namespace lagoa::schema
