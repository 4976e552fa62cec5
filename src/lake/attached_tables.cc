// The file: {"tables":[{"name":"events","path":"/data/events","attached_ms":1714564800000}]}, and
// "sql" for a table made by CREATE TABLE … AS.
#include "lake/attached_tables.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "base/file_util.h"
#include "base/json_writer.h"
#include "schema/schema.h"
#include "schema/types.h"

namespace lagoa::lake {
namespace {

constexpr size_t kFileBytesMax = 16u << 20;
constexpr std::string_view kTableKeys = "name, path, attached_ms (and sql)";

Result<AttachedTable> TableFromJson(simdjson::dom::element element, size_t index) {
  auto invalid = [index](std::string_view what) {
    return Status::Corruption(fmt::format("tables[{}]: {}", index, what));
  };
  simdjson::dom::object object;
  if (element.get(object) != simdjson::SUCCESS) return invalid("expected an object");
  AttachedTable table;
  int found = 0;
  for (auto [key, value] : object) {
    std::string_view text;
    if (key == "name" && value.get(text) == simdjson::SUCCESS) {
      table.name = std::string(text);
    } else if (key == "path" && value.get(text) == simdjson::SUCCESS) {
      table.path = std::string(text);
    } else if (key == "attached_ms" && value.get(table.attached_ms) == simdjson::SUCCESS) {
    } else if (key == "sql" && value.get(text) == simdjson::SUCCESS) {
      table.sql = std::string(text);
      continue;  // optional
    } else {
      return invalid(
          fmt::format("unexpected key \"{}\" or value of the wrong type; expected keys: {}", key, kTableKeys));
    }
    ++found;
  }
  if (found != 3) return invalid(fmt::format("expected exactly the keys {}", kTableKeys));
  return table;
}

Result<std::map<std::string, AttachedTable, std::less<>>> Parse(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(text.data(), text.size(), true).get(root); error != simdjson::SUCCESS) {
    return Status::Corruption(fmt::format("not valid JSON: {}", simdjson::error_message(error)));
  }
  simdjson::dom::array array;
  if (root["tables"].get(array) != simdjson::SUCCESS) {
    return Status::Corruption("expected {\"tables\": [...]}");
  }
  std::map<std::string, AttachedTable, std::less<>> tables;
  size_t index = 0;
  for (simdjson::dom::element element : array) {
    LAGOA_ASSIGN_OR_RETURN(AttachedTable table, TableFromJson(element, index++));
    std::string name = table.name;
    if (!tables.emplace(std::move(name), std::move(table)).second) {
      return Status::Corruption(fmt::format("table \"{}\" appears twice", name));
    }
  }
  return tables;
}

}  // namespace

Result<std::unique_ptr<AttachedTables>> AttachedTables::Open(std::filesystem::path file) {
  std::unique_ptr<AttachedTables> attached(new AttachedTables(std::move(file)));
  auto text = ReadWholeFile(attached->file_, kFileBytesMax);
  if (!text.ok() && text.status().code() == StatusCode::kNotFound) return attached;
  if (!text.ok()) return text.status();
  auto tables = Parse(*text);
  if (!tables.ok()) return tables.status().WithContext(attached->file_.string());
  attached->tables_ = std::move(tables).value();
  return attached;
}

Status AttachedTables::Attach(AttachedTable table) {
  LAGOA_RETURN_IF_ERROR(schema::ValidateStreamName(table.name).WithContext("table name"));
  if (!table.path.is_absolute()) {
    return Status::InvalidArgument(
        fmt::format("the path of table \"{}\" must be absolute, found `{}`", table.name, table.path.string()));
  }
  std::lock_guard lock(mu_);
  if (tables_.contains(table.name)) {
    return Status::AlreadyExists(fmt::format("a table named \"{}\" is attached already", table.name));
  }
  auto changed = tables_;
  std::string name = table.name;
  changed.emplace(std::move(name), std::move(table));
  LAGOA_RETURN_IF_ERROR(Store(changed));
  tables_ = std::move(changed);
  return Status::Ok();
}

Status AttachedTables::Detach(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = tables_.find(name);
  if (it == tables_.end()) return Status::NotFound(fmt::format("no attached table is named \"{}\"", name));
  auto changed = tables_;
  changed.erase(std::string(name));
  LAGOA_RETURN_IF_ERROR(Store(changed));
  tables_ = std::move(changed);
  return Status::Ok();
}

Status AttachedTables::SetSql(std::string_view name, std::string sql) {
  std::lock_guard lock(mu_);
  auto it = tables_.find(name);
  if (it == tables_.end()) return Status::NotFound(fmt::format("no attached table is named \"{}\"", name));
  if (it->second.sql == sql) return Status::Ok();
  auto changed = tables_;
  changed.find(name)->second.sql = std::move(sql);
  LAGOA_RETURN_IF_ERROR(Store(changed));
  tables_ = std::move(changed);
  return Status::Ok();
}

std::optional<AttachedTable> AttachedTables::Find(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = tables_.find(name);
  if (it == tables_.end()) return std::nullopt;
  return it->second;
}

std::optional<AttachedTable> AttachedTables::FindIgnoringCase(std::string_view name) const {
  std::lock_guard lock(mu_);
  for (const auto& [table_name, table] : tables_) {
    if (schema::EqualsIgnoreCase(table_name, name)) return table;
  }
  return std::nullopt;
}

std::vector<AttachedTable> AttachedTables::List() const {
  std::lock_guard lock(mu_);
  std::vector<AttachedTable> list;
  for (const auto& [name, table] : tables_) list.push_back(table);
  return list;
}

Status AttachedTables::Store(const std::map<std::string, AttachedTable, std::less<>>& tables) {
  JsonWriter w;
  w.BeginObject().Key("tables").BeginArray();
  for (const auto& [name, table] : tables) {
    w.BeginObject().Key("name").String(name).Key("path").String(table.path.string());
    w.Key("attached_ms").Int(table.attached_ms);
    if (!table.sql.empty()) w.Key("sql").String(table.sql);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return WriteFileAtomically(file_, w.Take());
}

}  // namespace lagoa::lake
