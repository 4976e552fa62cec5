#include "lake/delta/delta_actions.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "lake/store/object_store.h"
#include "schema/types.h"

namespace lagoa::lake {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

Status Corrupt(std::string_view action, std::string_view field, std::string_view problem) {
  return Status::Corruption(fmt::format("action `{}`: field `{}` {}", action, field, problem));
}

bool IsNull(element value) { return value.type() == simdjson::dom::element_type::NULL_VALUE; }

// Reads an optional field: absent and null both leave `out` untouched and give false.
Result<bool> OptionalString(object obj, std::string_view action, std::string_view field, std::string* out) {
  element value;
  if (obj[field].get(value) != simdjson::SUCCESS || IsNull(value)) return false;
  std::string_view text;
  if (value.get(text) != simdjson::SUCCESS) return Corrupt(action, field, "is not a string");
  *out = std::string(text);
  return true;
}

Result<bool> OptionalInt(object obj, std::string_view action, std::string_view field, int64_t* out) {
  element value;
  if (obj[field].get(value) != simdjson::SUCCESS || IsNull(value)) return false;
  if (value.get(*out) != simdjson::SUCCESS) return Corrupt(action, field, "is not a 64-bit integer");
  return true;
}

Result<bool> OptionalBool(object obj, std::string_view action, std::string_view field, bool* out) {
  element value;
  if (obj[field].get(value) != simdjson::SUCCESS || IsNull(value)) return false;
  if (value.get(*out) != simdjson::SUCCESS) return Corrupt(action, field, "is not a boolean");
  return true;
}

Status RequiredString(object obj, std::string_view action, std::string_view field, std::string* out) {
  LAGOA_ASSIGN_OR_RETURN(bool present, OptionalString(obj, action, field, out));
  return present ? Status::Ok() : Corrupt(action, field, "is missing");
}

Status RequiredInt(object obj, std::string_view action, std::string_view field, int64_t* out) {
  LAGOA_ASSIGN_OR_RETURN(bool present, OptionalInt(obj, action, field, out));
  return present ? Status::Ok() : Corrupt(action, field, "is missing");
}

Status StringArray(object obj, std::string_view action, std::string_view field, std::vector<std::string>* out) {
  element value;
  if (obj[field].get(value) != simdjson::SUCCESS || IsNull(value)) return Status::Ok();
  simdjson::dom::array array;
  if (value.get(array) != simdjson::SUCCESS) return Corrupt(action, field, "is not an array");
  for (element item : array) {
    std::string_view text;
    if (item.get(text) != simdjson::SUCCESS) return Corrupt(action, field, "holds a non-string");
    out->emplace_back(text);
  }
  return Status::Ok();
}

// A JSON object of strings; null values are kept as std::nullopt, empty strings too (Delta
// serializes an empty partition value as null).
Status StringMap(object obj, std::string_view action, std::string_view field, PartitionValues* out) {
  element value;
  if (obj[field].get(value) != simdjson::SUCCESS || IsNull(value)) return Status::Ok();
  object map;
  if (value.get(map) != simdjson::SUCCESS) return Corrupt(action, field, "is not an object");
  for (auto [key, item] : map) {
    std::optional<std::string> text;
    if (!IsNull(item)) {
      std::string_view s;
      if (item.get(s) != simdjson::SUCCESS) return Corrupt(action, fmt::format("{}.{}", field, key), "is not a string");
      if (!s.empty()) text.emplace(s);
    }
    (*out)[std::string(key)] = std::move(text);
  }
  return Status::Ok();
}

Result<int32_t> RequiredInt32(object obj, std::string_view action, std::string_view field) {
  int64_t value = 0;
  LAGOA_RETURN_IF_ERROR(RequiredInt(obj, action, field, &value));
  if (value < INT32_MIN || value > INT32_MAX) return Corrupt(action, field, "is out of the 32-bit range");
  return static_cast<int32_t>(value);
}

Result<Action> ParseProtocol(object obj) {
  Protocol p;
  LAGOA_ASSIGN_OR_RETURN(p.min_reader_version, RequiredInt32(obj, "protocol", "minReaderVersion"));
  LAGOA_ASSIGN_OR_RETURN(p.min_writer_version, RequiredInt32(obj, "protocol", "minWriterVersion"));
  LAGOA_RETURN_IF_ERROR(StringArray(obj, "protocol", "readerFeatures", &p.reader_features));
  LAGOA_RETURN_IF_ERROR(StringArray(obj, "protocol", "writerFeatures", &p.writer_features));
  return Action(std::move(p));
}

Result<Action> ParseMetadata(object obj) {
  Metadata m;
  LAGOA_RETURN_IF_ERROR(RequiredString(obj, "metaData", "id", &m.id));
  LAGOA_RETURN_IF_ERROR(RequiredString(obj, "metaData", "schemaString", &m.schema_string));
  LAGOA_RETURN_IF_ERROR(OptionalString(obj, "metaData", "name", &m.name).status());
  LAGOA_RETURN_IF_ERROR(OptionalString(obj, "metaData", "description", &m.description).status());
  LAGOA_RETURN_IF_ERROR(StringArray(obj, "metaData", "partitionColumns", &m.partition_columns));
  element format;
  m.format_provider = "parquet";
  if (obj["format"].get(format) == simdjson::SUCCESS && !IsNull(format)) {
    object format_obj;
    if (format.get(format_obj) != simdjson::SUCCESS) return Corrupt("metaData", "format", "is not an object");
    LAGOA_RETURN_IF_ERROR(OptionalString(format_obj, "metaData", "format.provider", &m.format_provider).status());
  }
  PartitionValues configuration;
  LAGOA_RETURN_IF_ERROR(StringMap(obj, "metaData", "configuration", &configuration));
  for (auto& [key, value] : configuration) m.configuration[key] = value.value_or("");
  int64_t created = 0;
  LAGOA_ASSIGN_OR_RETURN(bool has_created, OptionalInt(obj, "metaData", "createdTime", &created));
  if (has_created) m.created_time_ms = created;
  return Action(std::move(m));
}

Result<Action> ParseAdd(object obj) {
  AddFile add;
  std::string raw_path;
  LAGOA_RETURN_IF_ERROR(RequiredString(obj, "add", "path", &raw_path));
  auto decoded = DecodeDeltaPath(raw_path);
  if (!decoded.ok()) return Status::Corruption("action `add`: " + decoded.status().message());
  add.path = std::move(decoded).value();
  LAGOA_RETURN_IF_ERROR(StringMap(obj, "add", "partitionValues", &add.partition_values));
  LAGOA_RETURN_IF_ERROR(RequiredInt(obj, "add", "size", &add.size_bytes));
  LAGOA_RETURN_IF_ERROR(RequiredInt(obj, "add", "modificationTime", &add.modification_time_ms));
  LAGOA_ASSIGN_OR_RETURN(bool has_data_change, OptionalBool(obj, "add", "dataChange", &add.data_change));
  if (!has_data_change) return Corrupt("add", "dataChange", "is missing");
  LAGOA_RETURN_IF_ERROR(OptionalString(obj, "add", "stats", &add.stats).status());
  element dv;
  add.has_deletion_vector = obj["deletionVector"].get(dv) == simdjson::SUCCESS && !IsNull(dv);
  return Action(std::move(add));
}

Result<Action> ParseRemove(object obj) {
  RemoveFile remove;
  std::string raw_path;
  LAGOA_RETURN_IF_ERROR(RequiredString(obj, "remove", "path", &raw_path));
  auto decoded = DecodeDeltaPath(raw_path);
  if (!decoded.ok()) return Status::Corruption("action `remove`: " + decoded.status().message());
  remove.path = std::move(decoded).value();
  int64_t deleted = 0;
  LAGOA_ASSIGN_OR_RETURN(bool has_deleted, OptionalInt(obj, "remove", "deletionTimestamp", &deleted));
  if (has_deleted) remove.deletion_timestamp_ms = deleted;
  LAGOA_RETURN_IF_ERROR(OptionalBool(obj, "remove", "dataChange", &remove.data_change).status());
  return Action(std::move(remove));
}

Result<Action> ParseTxn(object obj) {
  Txn txn;
  LAGOA_RETURN_IF_ERROR(RequiredString(obj, "txn", "appId", &txn.app_id));
  LAGOA_RETURN_IF_ERROR(RequiredInt(obj, "txn", "version", &txn.version));
  int64_t updated = 0;
  LAGOA_ASSIGN_OR_RETURN(bool has_updated, OptionalInt(obj, "txn", "lastUpdated", &updated));
  if (has_updated) txn.last_updated_ms = updated;
  return Action(std::move(txn));
}

Result<std::optional<Action>> ParseActionElement(element root) {
  object top;
  if (root.get(top) != simdjson::SUCCESS) return Status::Corruption("an action must be a JSON object");
  std::optional<Action> found;
  std::string_view found_name;
  for (auto [name, value] : top) {
    if (IsNull(value)) continue;
    Result<Action> action = Status::Internal("unset");
    if (name == "commitInfo") {
      action = Action(CommitInfo{});
    } else if (name == "protocol" || name == "metaData" || name == "add" || name == "remove" || name == "txn") {
      object body;
      if (value.get(body) != simdjson::SUCCESS) {
        return Status::Corruption(fmt::format("action `{}` is not a JSON object", name));
      }
      if (name == "protocol") action = ParseProtocol(body);
      if (name == "metaData") action = ParseMetadata(body);
      if (name == "add") action = ParseAdd(body);
      if (name == "remove") action = ParseRemove(body);
      if (name == "txn") action = ParseTxn(body);
    } else {
      continue;  // cdc, domainMetadata, checkpointMetadata, ...: nothing a version-1 reader needs
    }
    if (!action.ok()) return action.status();
    if (found.has_value()) {
      return Status::Corruption(fmt::format("one line holds two actions: `{}` and `{}`", found_name, name));
    }
    found = std::move(action).value();
    found_name = name;
  }
  return found;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

struct ActionParser::Impl {
  simdjson::dom::parser parser;
};

ActionParser::ActionParser() : impl_(std::make_unique<Impl>()) {}
ActionParser::~ActionParser() = default;

Result<std::optional<Action>> ActionParser::Parse(std::string_view json) {
  element root;
  if (auto error = impl_->parser.parse(json.data(), json.size(), true).get(root); error != simdjson::SUCCESS) {
    return Status::Corruption(fmt::format("action is not valid JSON: {}", simdjson::error_message(error)));
  }
  return ParseActionElement(root);
}

Result<std::optional<Action>> ParseAction(std::string_view json) { return ActionParser().Parse(json); }

Result<std::vector<Action>> ParseCommitFile(std::string_view contents) {
  ActionParser parser;
  std::vector<Action> actions;
  size_t line_number = 0;
  while (!contents.empty()) {
    ++line_number;
    size_t newline = contents.find('\n');
    std::string_view line = contents.substr(0, newline);
    contents.remove_prefix(newline == std::string_view::npos ? contents.size() : newline + 1);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto action = parser.Parse(line);
    if (!action.ok()) {
      return Status(action.status().code(), fmt::format("line {}: {}", line_number, action.status().message()));
    }
    if (action->has_value()) actions.push_back(std::move(**action));
  }
  return actions;
}

std::optional<std::string> FindPartitionValue(const PartitionValues& values, std::string_view column) {
  auto it = values.find(std::string(column));
  if (it != values.end()) return it->second;
  for (const auto& [name, value] : values) {
    if (schema::EqualsIgnoreCase(name, column)) return value;
  }
  return std::nullopt;
}

Result<std::string> DecodeDeltaPath(std::string_view uri) {
  if (uri.starts_with('/')) {
    return Status::InvalidArgument(
        fmt::format("path \"{}\" is absolute; lagoa reads only files inside the table", uri));
  }
  size_t colon = uri.find(':');
  if (colon != std::string_view::npos && uri.substr(0, colon).find('/') == std::string_view::npos) {
    return Status::InvalidArgument(
        fmt::format("path \"{}\" is an absolute URI; lagoa reads only files inside the table", uri));
  }
  std::string decoded;
  decoded.reserve(uri.size());
  for (size_t i = 0; i < uri.size(); ++i) {
    if (uri[i] != '%') {
      decoded += uri[i];
      continue;
    }
    int high = i + 2 < uri.size() ? HexValue(uri[i + 1]) : -1;
    int low = i + 2 < uri.size() ? HexValue(uri[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return Status::InvalidArgument(fmt::format("path \"{}\": malformed escape at byte {}", uri, i));
    }
    decoded += static_cast<char>(high * 16 + low);
    i += 2;
  }
  Status valid = ValidateObjectKey(decoded);
  if (!valid.ok()) return Status::InvalidArgument(fmt::format("path \"{}\": {}", uri, valid.message()));
  return decoded;
}

}  // namespace lagoa::lake
