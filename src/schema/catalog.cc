// Catalog: stream definitions as one JSON file per stream (StreamDefinitionToJson), read back with
// the strict parser below. Every change goes through Store(): write <name>.json.tmp, fsync it,
// rename it over <name>.json, fsync the directory, so a crash leaves either the old or the new
// file, never a torn one. Open() deletes leftover *.tmp files (a write that never got renamed).
#include "schema/catalog.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "base/assert.h"
#include "base/file_util.h"
#include "schema/value_text_internal.h"

namespace lagoa::schema {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kDefinitionSuffix = ".json";
constexpr std::string_view kTempSuffix = ".tmp";
// A definition of kColumnsMax columns per version over a few versions stays far below this; the
// limit keeps a stray huge file from being read whole into memory.
constexpr size_t kDefinitionBytesMax = 64u << 20;

constexpr std::string_view kDefinitionKeys = "name, versions, event_time, infer, partitions, created, lake";
constexpr std::string_view kVersionKeys = "version, columns";
constexpr std::string_view kColumnKeys = "name, type, nullable";

// ---- Parsing the stored form -------------------------------------------------------------------

Status Invalid(std::string message) { return Status::InvalidArgument(std::move(message)); }

Result<std::string_view> GetString(simdjson::dom::element value, std::string_view where) {
  std::string_view s;
  if (value.get(s) != simdjson::SUCCESS) return Invalid(fmt::format("{} must be a string", where));
  return s;
}

Result<Field> StoredColumnFromJson(simdjson::dom::element element, std::string_view where) {
  simdjson::dom::object object;
  if (element.get(object) != simdjson::SUCCESS) return Invalid(fmt::format("{} must be an object", where));
  Field field;
  bool has_name = false, has_type = false, has_nullable = false;
  for (auto [key, value] : object) {
    if (key == "name" && !has_name) {
      LAGOA_ASSIGN_OR_RETURN(std::string_view name, GetString(value, fmt::format("{}.name", where)));
      field.name = std::string(name);
      has_name = true;
    } else if (key == "type" && !has_type) {
      LAGOA_ASSIGN_OR_RETURN(std::string_view text, GetString(value, fmt::format("{}.type", where)));
      auto type = ParseType(text);
      if (!type.ok()) return type.status().WithContext(fmt::format("{}.type \"{}\"", where, text));
      field.type = std::move(type).value();
      has_type = true;
    } else if (key == "nullable" && !has_nullable) {
      if (value.get(field.nullable) != simdjson::SUCCESS) {
        return Invalid(fmt::format("{}.nullable must be true or false", where));
      }
      has_nullable = true;
    } else {
      return Invalid(fmt::format("{}: unexpected or repeated key \"{}\"; expected keys: {}", where, key, kColumnKeys));
    }
  }
  if (!has_name || !has_type || !has_nullable) {
    return Invalid(fmt::format("{}: missing a key; expected keys: {}", where, kColumnKeys));
  }
  return field;
}

Result<Schema> StoredVersionFromJson(simdjson::dom::element element, size_t index) {
  std::string where = fmt::format("versions[{}]", index);
  simdjson::dom::object object;
  if (element.get(object) != simdjson::SUCCESS) return Invalid(where + " must be an object");
  Schema schema;
  bool has_version = false, has_columns = false;
  for (auto [key, value] : object) {
    if (key == "version" && !has_version) {
      uint64_t version;
      if (value.get(version) != simdjson::SUCCESS || version == 0 || version > UINT32_MAX) {
        return Invalid(where + ".version must be a positive integer");
      }
      schema.version = SchemaVersion(static_cast<uint32_t>(version));
      has_version = true;
    } else if (key == "columns" && !has_columns) {
      simdjson::dom::array columns;
      if (value.get(columns) != simdjson::SUCCESS) return Invalid(where + ".columns must be an array");
      size_t column_index = 0;
      for (simdjson::dom::element column : columns) {
        if (column_index == kColumnsMax) return Invalid(fmt::format("{}: more than {} columns", where, kColumnsMax));
        LAGOA_ASSIGN_OR_RETURN(Field field,
                               StoredColumnFromJson(column, fmt::format("{}.columns[{}]", where, column_index++)));
        schema.fields.push_back(std::move(field));
      }
      has_columns = true;
    } else {
      return Invalid(fmt::format("{}: unexpected or repeated key \"{}\"; expected keys: {}", where, key, kVersionKeys));
    }
  }
  if (!has_version || !has_columns)
    return Invalid(fmt::format("{}: missing a key; expected keys: {}", where, kVersionKeys));
  return schema;
}

// The inverse of StreamDefinitionToJson. Strict: every key must be present exactly once, so a
// file written by a different version of lagoa is noticed rather than half-read — except "lake",
// which definitions stored before it existed lack (they mean the default, loaded).
Result<StreamDefinition> StoredDefinitionFromJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(json.data(), json.size(), true).get(root); error != simdjson::SUCCESS) {
    return Invalid(fmt::format("not valid JSON: {}", simdjson::error_message(error)));
  }
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) return Invalid("expected a JSON object");
  StreamDefinition def;
  std::vector<std::string_view> seen;
  for (auto [key, value] : object) {
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return Invalid(fmt::format("key \"{}\" appears twice", key));
    }
    seen.push_back(key);
    if (key == "name") {
      LAGOA_ASSIGN_OR_RETURN(std::string_view name, GetString(value, "\"name\""));
      def.name = std::string(name);
    } else if (key == "versions") {
      simdjson::dom::array versions;
      if (value.get(versions) != simdjson::SUCCESS) return Invalid("\"versions\" must be an array");
      size_t index = 0;
      for (simdjson::dom::element version : versions) {
        LAGOA_ASSIGN_OR_RETURN(Schema schema, StoredVersionFromJson(version, index++));
        def.versions.push_back(std::move(schema));
      }
    } else if (key == "event_time") {
      if (value.is_null()) continue;
      LAGOA_ASSIGN_OR_RETURN(std::string_view column, GetString(value, "\"event_time\""));
      def.event_time_column = std::string(column);
    } else if (key == "infer") {
      if (value.get(def.infer) != simdjson::SUCCESS) return Invalid("\"infer\" must be true or false");
    } else if (key == "partitions") {
      int64_t partitions;
      if (value.get(partitions) != simdjson::SUCCESS || partitions < INT32_MIN || partitions > INT32_MAX) {
        return Invalid("\"partitions\" must be an integer");
      }
      def.partitions = static_cast<int32_t>(partitions);  // range checked by ValidateStreamDefinition
    } else if (key == "created") {
      LAGOA_ASSIGN_OR_RETURN(std::string_view created, GetString(value, "\"created\""));
      std::string reason;
      if (!internal::ParseTimestamp(created, &def.created_us, &reason)) {
        return Invalid(fmt::format("\"created\" \"{}\" {}", created, reason));
      }
    } else if (key == "lake") {
      auto lake = StreamLakeOptionsFromJson(simdjson::minify(value));
      if (!lake.ok()) return lake.status().WithContext("\"lake\"");
      def.lake = *lake;
    } else {
      return Invalid(fmt::format("unknown key \"{}\"; expected keys: {}", key, kDefinitionKeys));
    }
  }
  for (std::string_view key : {"name", "versions", "event_time", "infer", "partitions", "created"}) {
    if (std::find(seen.begin(), seen.end(), key) == seen.end()) {
      return Invalid(fmt::format("missing key \"{}\"; expected keys: {}", key, kDefinitionKeys));
    }
  }
  return def;
}

// ---- Files -------------------------------------------------------------------------------------

// "<operation> <path>: <strerror(errno)>"; reads errno before anything else can change it.
Status ErrnoError(std::string_view operation, const fs::path& path) {
  int error = errno;
  return Status::FromErrno(fmt::format("{} {}", operation, path.string()), error);
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

Result<std::shared_ptr<const StreamDefinition>> LoadDefinition(const fs::path& path, std::string_view name) {
  auto corrupt = [&](std::string_view why) {
    return Status::Corruption(fmt::format("stream definition {}: {}", path.string(), why));
  };
  Result<std::string> read = ReadWholeFile(path, kDefinitionBytesMax);
  if (read.status().code() == StatusCode::kResourceExhausted) return corrupt(read.status().message());
  LAGOA_RETURN_IF_ERROR(read.status());
  const std::string text = std::move(read).value();
  auto parsed = StoredDefinitionFromJson(text);
  if (!parsed.ok()) return corrupt(parsed.status().message());
  StreamDefinition def = std::move(parsed).value();
  if (Status s = ValidateStreamDefinition(def); !s.ok()) return corrupt(s.message());
  if (def.name != name) {
    return corrupt(fmt::format("holds stream \"{}\" but the file is named for \"{}\"", def.name, name));
  }
  return std::make_shared<const StreamDefinition>(std::move(def));
}

// New fields for AddColumns: nullable, valid names, none equal ignoring case to an existing column
// or to another new field.
Status CheckNewFields(const StreamDefinition& def, const std::vector<Field>& new_fields) {
  const Schema& latest = def.latest();
  for (size_t i = 0; i < new_fields.size(); ++i) {
    const Field& f = new_fields[i];
    if (!f.nullable) {
      return Status::InvalidArgument(fmt::format(
          "stream \"{}\": new column \"{}\" must be nullable (earlier events have no value for it)", def.name, f.name));
    }
    if (Status s = ValidateFieldName(f.name); !s.ok()) return s.WithContext(fmt::format("stream \"{}\"", def.name));
    if (auto same = latest.FieldIndexIgnoringCase(f.name)) {
      return Status::InvalidArgument(
          fmt::format("stream \"{}\": new column \"{}\" clashes with column \"{}\" (names are case-insensitive)",
                      def.name, f.name, latest.fields[*same].name));
    }
    for (size_t j = 0; j < i; ++j) {
      if (EqualsIgnoreCase(new_fields[j].name, f.name)) {
        return Status::InvalidArgument(
            fmt::format("stream \"{}\": new column \"{}\" is given twice", def.name, f.name));
      }
    }
  }
  if (latest.fields.size() + new_fields.size() > kColumnsMax) {
    return Status::InvalidArgument(fmt::format("stream \"{}\": adding {} columns to {} exceeds the limit of {}",
                                               def.name, new_fields.size(), latest.fields.size(), kColumnsMax));
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::filesystem::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError(fmt::format("create directory {}: {}", dir.string(), ec.message()));
  std::unique_ptr<Catalog> catalog(new Catalog(dir));
  fs::directory_iterator it(dir, ec);
  if (ec) return Status::IoError(fmt::format("list directory {}: {}", dir.string(), ec.message()));
  std::vector<fs::path> definitions;
  // Iterated with error codes: the range-for form throws on a failing readdir.
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    std::string file = entry.path().filename().string();
    std::error_code ignored;
    if (EndsWith(file, kTempSuffix)) {
      fs::remove(entry.path(), ignored);  // an interrupted Store(); the previous file, if any, is intact
      continue;
    }
    if (EndsWith(file, kDefinitionSuffix) && entry.is_regular_file(ignored)) definitions.push_back(entry.path());
  }
  if (ec) return Status::IoError(fmt::format("list directory {}: {}", dir.string(), ec.message()));
  for (const fs::path& path : definitions) {
    std::string file = path.filename().string();
    std::string name = file.substr(0, file.size() - kDefinitionSuffix.size());
    if (Status s = ValidateStreamName(name); !s.ok()) {
      return Status::Corruption(
          fmt::format("stream definition {}: the file name is not a stream name: {}", path.string(), s.message()));
    }
    LAGOA_ASSIGN_OR_RETURN(auto def, LoadDefinition(path, name));
    catalog->streams_.emplace(std::move(name), std::move(def));
  }
  return catalog;
}

Result<std::shared_ptr<const StreamDefinition>> Catalog::Create(StreamDefinition definition) {
  LAGOA_RETURN_IF_ERROR(ValidateStreamDefinition(definition));
  std::lock_guard lock(mu_);
  if (streams_.find(definition.name) != streams_.end()) {
    return Status::AlreadyExists(fmt::format("stream \"{}\" already exists", definition.name));
  }
  LAGOA_RETURN_IF_ERROR(Store(definition));
  auto stored = std::make_shared<const StreamDefinition>(std::move(definition));
  streams_.emplace(stored->name, stored);
  return stored;
}

std::shared_ptr<const StreamDefinition> Catalog::Find(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = streams_.find(name);
  return it == streams_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const StreamDefinition>> Catalog::List() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<const StreamDefinition>> out;
  out.reserve(streams_.size());
  for (const auto& [name, def] : streams_) out.push_back(def);  // std::map: sorted by name
  return out;
}

// When the schema moved on since `expected_latest`, the new fields were inferred against an older
// version. Fields the current version already has with the same name and type are done; a field it
// has under a different type or case is a conflict; the rest are appended to the current version,
// which is what inferring against it would have produced. So two threads inferring the same field
// converge, and threads inferring different fields both succeed.
Result<std::shared_ptr<const StreamDefinition>> Catalog::AddColumns(std::string_view name,
                                                                    SchemaVersion expected_latest,
                                                                    std::vector<Field> new_fields) {
  std::lock_guard lock(mu_);
  auto it = streams_.find(name);
  if (it == streams_.end()) return Status::NotFound(fmt::format("stream \"{}\" does not exist", name));
  std::shared_ptr<const StreamDefinition> current = it->second;
  const Schema& latest = current->latest();
  if (latest.version != expected_latest) {
    std::vector<Field> missing;
    for (Field& f : new_fields) {
      auto index = latest.FieldIndexIgnoringCase(f.name);
      if (!index) {
        missing.push_back(std::move(f));
        continue;
      }
      const Field& existing = latest.fields[*index];
      if (existing.name != f.name || !(existing.type == f.type)) {
        return Status::InvalidArgument(fmt::format(
            "stream \"{}\": field \"{}\" ({}) conflicts with column \"{}\" ({}) added by a concurrent schema change",
            name, f.name, f.type.ToSql(), existing.name, existing.type.ToSql()));
      }
    }
    new_fields = std::move(missing);
  }
  if (new_fields.empty()) return current;
  LAGOA_RETURN_IF_ERROR(CheckNewFields(*current, new_fields));
  StreamDefinition next = *current;
  Schema version{latest.version + 1, latest.fields};
  for (Field& f : new_fields) version.fields.push_back(std::move(f));
  next.versions.push_back(std::move(version));
  LAGOA_RETURN_IF_ERROR(ValidateStreamDefinition(next));
  LAGOA_RETURN_IF_ERROR(Store(next));
  auto stored = std::make_shared<const StreamDefinition>(std::move(next));
  it->second = stored;
  return stored;
}

Status Catalog::Drop(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = streams_.find(name);
  if (it == streams_.end()) return Status::NotFound(fmt::format("stream \"{}\" does not exist", name));
  fs::path path = dir_ / (std::string(name) + std::string(kDefinitionSuffix));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoError("remove", path);
  }
  streams_.erase(it);
  return SyncDir(dir_);
}

Status Catalog::Store(const StreamDefinition& definition) {
  LAGOA_ASSERT(ValidateStreamName(definition.name).ok());  // a file name: no '/', no leading '.'
  fs::path path = dir_ / (definition.name + std::string(kDefinitionSuffix));
  return WriteFileAtomically(path, StreamDefinitionToJson(definition));
}

}  // namespace lagoa::schema
