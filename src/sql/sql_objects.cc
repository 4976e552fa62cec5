// The schemas, views and macros made with SQL, kept across restarts (sql_objects_internal.h).
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>

#include "base/file_util.h"
#include "base/json_writer.h"
#include "duck/handles.h"
#include "schema/schema.h"
#include "sql/pg_catalog_shim.h"
#include "sql/sql_objects_internal.h"
#include "sql/sql_text.h"

namespace lagoa::sql::internal {
namespace {

constexpr size_t kFileBytesMax = 64u << 20;

// The persistent objects of the in-memory database, lagoa's own schema left out.
constexpr std::string_view kCatalogQuery = R"(
SELECT 'schema', schema_name, schema_name, '' FROM duckdb_schemas()
  WHERE NOT internal AND database_name = 'memory' AND schema_name NOT IN ('main', '{0}')
UNION ALL
SELECT 'view', schema_name, view_name, sql FROM duckdb_views()
  WHERE NOT internal AND NOT temporary AND database_name = 'memory' AND schema_name <> '{0}'
UNION ALL
SELECT DISTINCT 'macro', schema_name, function_name, '' FROM duckdb_functions()
  WHERE function_type IN ('macro', 'table_macro') AND NOT internal AND database_name = 'memory'
    AND schema_name <> '{0}')";

bool Same(const SqlObject& a, const SqlObject& b) {
  return a.kind == b.kind && schema::EqualsIgnoreCase(a.schema, b.schema) && schema::EqualsIgnoreCase(a.name, b.name);
}

Result<std::vector<SqlObject>> ReadCatalog(duckdb_connection connection) {
  const std::string query = fmt::format(kCatalogQuery, kPgCatalogSchema);
  duck::ResultHandle result;
  if (duckdb_query(connection, query.c_str(), result.get()) != DuckDBSuccess) {
    return Status::Internal(fmt::format("reading DuckDB's catalog: {}", result.error()));
  }
  std::vector<SqlObject> objects;
  const auto text = [&](idx_t column, idx_t row) {
    char* value = duckdb_value_varchar(result.get(), column, row);
    std::string out = value != nullptr ? value : "";
    duckdb_free(value);
    return out;
  };
  for (idx_t row = 0; row < duckdb_row_count(result.get()); ++row) {
    objects.push_back({text(0, row), text(1, row), text(2, row), text(3, row)});
    if (objects.back().kind == "schema") {
      objects.back().sql = fmt::format("CREATE SCHEMA IF NOT EXISTS {};", schema::QuoteIdentifier(objects.back().name));
    }
  }
  return objects;
}

// What a CREATE [OR REPLACE] MACRO|FUNCTION [IF NOT EXISTS] [catalog.][schema.]NAME statement
// makes: the name, the schema when it is written ("" otherwise: the session's), and whether it
// only makes a macro that is not there yet. Empty for other statements and for TEMP macros, which
// are the session's.
struct MacroCreate {
  std::string schema;
  std::string name;
  bool if_not_exists = false;
};

MacroCreate MacroMadeBy(std::string_view statement) {
  const std::vector<SqlToken> tokens = LeadingTokens(statement, 16);
  size_t at = 0;
  const auto next_is = [&](std::string_view word) {
    if (at < tokens.size() && tokens[at].Is(word)) return ++at, true;
    return false;
  };
  MacroCreate create;
  if (!next_is("CREATE")) return {};
  if (next_is("OR") && !next_is("REPLACE")) return {};
  if (next_is("TEMP") || next_is("TEMPORARY")) return {};
  if (!next_is("MACRO") && !next_is("FUNCTION")) return {};
  if (next_is("IF")) {
    if (!next_is("NOT") || !next_is("EXISTS")) return {};
    create.if_not_exists = true;
  }
  std::vector<std::string> parts;
  while (at < tokens.size() && tokens[at].IsName()) {
    parts.push_back(tokens[at++].text);
    if (at >= tokens.size() || tokens[at].kind != SqlToken::Kind::kSymbol || tokens[at].text != ".") break;
    ++at;
  }
  if (parts.empty()) return {};
  create.name = parts.back();
  if (parts.size() >= 2) create.schema = parts[parts.size() - 2];
  return create;
}

// The last of `creates` that makes the macro `schema`.`name` (`made`: one that was not there
// before, which an IF NOT EXISTS makes too), or null.
const std::string* CreateOf(const std::vector<std::string>& creates, const SqlObject& macro, bool made) {
  // NOLINTNEXTLINE(modernize-loop-convert): clang 14's <ranges> cannot build reverse_view here
  for (auto it = creates.rbegin(); it != creates.rend(); ++it) {
    const MacroCreate create = MacroMadeBy(*it);
    if (create.name.empty() || !schema::EqualsIgnoreCase(create.name, macro.name)) continue;
    if (!create.schema.empty() && !schema::EqualsIgnoreCase(create.schema, macro.schema)) continue;
    if (create.if_not_exists && !made) continue;
    return &*it;
  }
  return nullptr;
}

}  // namespace

Result<std::unique_ptr<SqlObjects>> SqlObjects::Open(std::filesystem::path path) {
  std::unique_ptr<SqlObjects> objects(new SqlObjects(std::move(path)));
  Result<std::string> text = ReadWholeFile(objects->path_, kFileBytesMax);
  if (!text.ok() && text.status().code() == StatusCode::kNotFound) return objects;
  LAGOA_RETURN_IF_ERROR(text.status());
  const auto corrupt = [&](std::string_view what) {
    return Status::Corruption(
        fmt::format("{}: {}; expected {{\"objects\": [{{\"kind\", \"schema\", \"name\", \"sql\"}}]}}",
                    objects->path_.string(), what));
  };
  simdjson::dom::parser parser;
  simdjson::dom::array list;
  if (parser.parse(*text).at_key("objects").get(list) != simdjson::SUCCESS) return corrupt("no \"objects\" list");
  for (simdjson::dom::element element : list) {
    SqlObject object;
    std::string_view kind, schema_name, name, sql;
    if (element["kind"].get(kind) != simdjson::SUCCESS || element["schema"].get(schema_name) != simdjson::SUCCESS ||
        element["name"].get(name) != simdjson::SUCCESS || element["sql"].get(sql) != simdjson::SUCCESS) {
      return corrupt(fmt::format("object {} lacks a string kind, schema, name or sql", objects->objects_.size() + 1));
    }
    objects->objects_.push_back({std::string(kind), std::string(schema_name), std::string(name), std::string(sql)});
  }
  return objects;
}

std::vector<SqlObject> SqlObjects::List() const {
  std::lock_guard lock(mu_);
  return objects_;
}

void SqlObjects::MarkUnrestored(const std::vector<size_t>& indexes) {
  std::lock_guard lock(mu_);
  for (size_t index : indexes) {
    if (index < objects_.size()) objects_[index].restored = false;
  }
}

Status SqlObjects::Refresh(duckdb_connection connection, const std::vector<std::string>& creates) {
  std::lock_guard lock(mu_);
  LAGOA_ASSIGN_OR_RETURN(std::vector<SqlObject> current, ReadCatalog(connection));
  std::vector<SqlObject> next;
  for (const SqlObject& recorded : objects_) {
    const std::string* create = recorded.kind == "macro" ? CreateOf(creates, recorded, !recorded.restored) : nullptr;
    const auto now =
        std::find_if(current.begin(), current.end(), [&](const SqlObject& o) { return Same(o, recorded); });
    if (now == current.end()) {
      if (!recorded.restored && create == nullptr) next.push_back(recorded);  // still waiting to be made again
      continue;
    }
    SqlObject kept = recorded;
    kept.restored = true;
    if (kept.kind != "macro") kept.sql = now->sql;
    if (create != nullptr) kept.sql = *create;  // CREATE OR REPLACE MACRO
    next.push_back(std::move(kept));
    current.erase(now);
  }
  for (SqlObject& made : current) {  // new since the last refresh, in DuckDB's order
    if (made.kind == "macro") {
      // A macro another session committed a moment ago is that session's to record, with the
      // CREATE only it saw; this refresh leaves it for that one.
      const std::string* create = CreateOf(creates, made, /*made=*/true);
      if (create == nullptr) continue;
      made.sql = *create;
    }
    next.push_back(std::move(made));
  }
  const bool changed =
      next.size() != objects_.size() ||
      !std::equal(next.begin(), next.end(), objects_.begin(), [](const SqlObject& a, const SqlObject& b) {
        return Same(a, b) && a.sql == b.sql && a.restored == b.restored;
      });
  if (changed) {
    objects_ = std::move(next);
    LAGOA_RETURN_IF_ERROR(Write());
  }
  return Status::Ok();
}

Status SqlObjects::Write() const {
  JsonWriter json;
  json.BeginObject().Key("objects").BeginArray();
  for (const SqlObject& object : objects_) {
    json.BeginObject().Key("kind").String(object.kind).Key("schema").String(object.schema);
    json.Key("name").String(object.name).Key("sql").String(object.sql).EndObject();
  }
  json.EndArray().EndObject();
  return WriteFileAtomically(path_, json.str() + "\n")
      .WithContext("recording the schemas, views and macros made with SQL (they would not survive a restart)");
}

}  // namespace lagoa::sql::internal
