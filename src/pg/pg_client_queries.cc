#include "pg/pg_client_queries.h"

#include <array>
#include <cctype>
#include <regex>
#include <vector>

#include "sql/pg_catalog_shim.h"
#include "sql/sql_text.h"

namespace lagoa::pg::pg {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// PostgreSQL settings clients read with SHOW, and their fixed values here.
struct Setting {
  std::string_view name;
  std::string_view value;
};
constexpr std::array kSettings = {
    Setting{"transaction_isolation", "read committed"},
    Setting{"transaction isolation level", "read committed"},
    Setting{"default_transaction_isolation", "read committed"},
    Setting{"server_version", kServerVersion},
    Setting{"server_version_num", "150000"},
    Setting{"server_encoding", "UTF8"},
    Setting{"client_encoding", "UTF8"},
    Setting{"standard_conforming_strings", "on"},
    Setting{"integer_datetimes", "on"},
    Setting{"datestyle", "ISO, MDY"},
    Setting{"intervalstyle", "postgres"},
    Setting{"max_identifier_length", "63"},
    Setting{"is_superuser", "on"},
    Setting{"lc_collate", "C"},
    Setting{"lc_ctype", "C"},
    Setting{"statement_timeout", "0"},
};

// Settings a SET of which is accepted and ignored: drivers send them at connect, and lagoa's
// behaviour already matches what they ask for (or they only affect PostgreSQL's own output).
constexpr std::array<std::string_view, 12> kIgnoredSettings = {
    "extra_float_digits",  "application_name",  "client_encoding", "datestyle",
    "intervalstyle",       "statement_timeout", "lock_timeout",    "idle_in_transaction_session_timeout",
    "client_min_messages", "bytea_output",      "search_path_pg",  "session characteristics"};

// The value in "SET name = value" / "SET name TO value", unquoted.
std::string SetValue(std::string_view rest) {
  std::string_view v = rest;
  while (!v.empty() && (v.front() == ' ' || v.front() == '=')) v.remove_prefix(1);
  if (v.size() >= 3 && Lower(v.substr(0, 3)) == "to ") v.remove_prefix(3);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') v = v.substr(1, v.size() - 2);
  return std::string(v);
}

ClientQueryAnswer Command(std::string tag) {
  ClientQueryAnswer a;
  a.kind = ClientQueryAnswer::Kind::kCommand;
  a.tag = std::move(tag);
  return a;
}

ClientQueryAnswer Rewrite(std::string sql) {
  ClientQueryAnswer a;
  a.kind = ClientQueryAnswer::Kind::kRewrite;
  a.sql = std::move(sql);
  return a;
}

std::string Quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

std::optional<ClientQueryAnswer> InterceptSet(const std::string& normalized, const std::string& lower) {
  std::string_view rest = std::string_view(lower).substr(4);  // after "set "
  if (rest.starts_with("session ") && !rest.starts_with("session characteristics")) rest.remove_prefix(8);
  if (rest.starts_with("local ")) return std::nullopt;
  for (std::string_view name : kIgnoredSettings) {
    if (!rest.starts_with(name)) continue;
    std::string_view after = rest.substr(name.size());
    if (!after.empty() && after.front() != ' ' && after.front() != '=') continue;
    ClientQueryAnswer a = Command("SET");
    if (name == "application_name") {
      size_t offset = normalized.size() - after.size();
      a.parameter_status.emplace("application_name", SetValue(std::string_view(normalized).substr(offset)));
    }
    return a;
  }
  return std::nullopt;
}

// Text repairs for catalog queries of psql and pgjdbc, where DuckDB's pg_catalog lacks what
// PostgreSQL has: OPERATOR(pg_catalog.~) syntax, COLLATE pg_catalog.default, reg* casts; and the
// catalog views and functions the engine's PostgreSQL catalog shim replaces (sql/pg_catalog_shim.h:
// lagoa's relations as tables, PostgreSQL type OIDs and names).
struct Repair {
  std::regex pattern;
  std::string replacement;
};

const std::vector<Repair>& CatalogRepairs() {
  static const std::vector<Repair> kRepairs = [] {
    auto icase = std::regex::ECMAScript | std::regex::icase;
    const std::string shim(sql::kPgCatalogSchema);
    std::vector<Repair> r;
    r.push_back({std::regex(R"(OPERATOR\(pg_catalog\.([^)\s]+)\))", icase), " $1 "});
    r.push_back({std::regex(R"(\s+COLLATE\s+pg_catalog\.(default|"default"|"C"))", icase), ""});
    r.push_back({std::regex(R"(::pg_catalog\.("?)(\w+)\1)", icase), "::$2"});
    r.push_back({std::regex(R"('([^']*)'::(pg_catalog\.)?regclass)", icase),
                 "(SELECT oid FROM pg_catalog.pg_class WHERE relname = '$1' LIMIT 1)"});
    r.push_back({std::regex(R"(::(regclass|regtype|regproc|regnamespace|name|"char")(?!\w))", icase), "::VARCHAR"});
    r.push_back({std::regex(R"(::oid\b)", icase), "::BIGINT"});
    r.push_back(
        {std::regex(R"(\bpg_catalog\.(pg_class|pg_attribute|pg_type|pg_namespace|pg_database|pg_collation)\b)", icase),
         shim + ".$1"});
    r.push_back({std::regex(R"(\binformation_schema\.("?)(tables|columns)\1(?!\w))", icase), shim + ".$2"});
    r.push_back({std::regex(R"(pg_get_expr\(([^,()]+),\s*([^,()]+),\s*(true|false)\))", icase), "pg_get_expr($1, $2)"});
    r.push_back(
        {std::regex(
             R"((^|[^.\w])(?:pg_catalog\.)?(pg_get_userbyid|pg_encoding_to_char|obj_description|col_description|shobj_description|format_type|pg_table_size|pg_relation_size|pg_total_relation_size)\s*\()",
             icase),
         "$1" + shim + ".$2("});
    // DuckDB reads pg_catalog.f(x) as the method f of a column pg_catalog unless pg_catalog has f.
    r.push_back({std::regex(R"(\bpg_catalog\.(\w+)\s*\()", icase), "$1("});
    // PostgreSQL's ~ finds the pattern anywhere; DuckDB's must match the whole text.
    r.push_back({std::regex(R"((^|[^~!])(!?~)\s*'((?:[^']|'')*)')"), "$1$2 '.*(?:$3).*'"});
    return r;
  }();
  return kRepairs;
}

// PostgreSQL catalog tables DuckDB's pg_catalog lacks. What clients ask of them (psql's \d asks for
// policies, publications, inheritance, triggers …) has no answer in lagoa: an empty result.
bool MentionsMissingCatalogTable(const std::string& lower) {
  static const std::regex kMissing(
      R"(pg_catalog\.(pg_policy|pg_statistic_ext|pg_publication|pg_publication_rel|pg_publication_namespace|pg_inherits|pg_trigger|pg_rewrite|pg_foreign_table|pg_partitioned_table|pg_roles)\b)");
  return std::regex_search(lower, kMissing);
}

bool MentionsCatalog(const std::string& lower) {
  return lower.find("pg_catalog") != std::string::npos || lower.find("information_schema") != std::string::npos ||
         lower.find("::reg") != std::string::npos;
}

}  // namespace

ClientQueryAnswer InterceptClientQuery(std::string_view statement) {
  std::string normalized = sql::NormalizeSql(statement);
  std::string lower = Lower(normalized);
  if (lower.starts_with("set ")) {
    if (auto a = InterceptSet(normalized, lower)) return *a;
    return {};
  }
  if (lower.starts_with("show ")) {
    std::string_view name = std::string_view(lower).substr(5);
    for (const Setting& s : kSettings) {
      if (name == s.name) {
        std::string column(s.name);
        for (char& c : column) c = c == ' ' ? '_' : c;
        return Rewrite("SELECT " + Quote(s.value) + " AS " + column);
      }
    }
    return {};
  }
  if (lower == "select version()" || lower == "select pg_catalog.version()") {
    return Rewrite("SELECT " + Quote("PostgreSQL " + std::string(kServerVersion) + " on x86_64-pc-linux-gnu") +
                   " AS version");
  }
  if (MentionsMissingCatalogTable(lower)) return Rewrite("SELECT NULL AS none WHERE false");
  if (MentionsCatalog(lower)) {
    std::string repaired(statement);
    for (const Repair& r : CatalogRepairs()) repaired = std::regex_replace(repaired, r.pattern, r.replacement);
    if (repaired != statement) return Rewrite(std::move(repaired));
  }
  return {};
}

}  // namespace lagoa::pg::pg
