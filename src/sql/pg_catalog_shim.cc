// The PostgreSQL catalog shim (pg_catalog_shim.h): SQL views and macros built from DuckDB's
// catalog functions (duckdb_columns(), duckdb_views() …), which are evaluated in the calling
// session, so each session sees its own temporary views of lagoa's relations.
#include "sql/pg_catalog_shim.h"

#include <fmt/format.h>

#include <array>
#include <string>
#include <vector>

#include "duck/connection.h"
#include "sql/session_internal.h"

namespace lagoa::sql::internal {
namespace {

// The PostgreSQL types lagoa's results are described with (sql::PgTypeOid), each with its array.
struct PgType {
  int oid;
  std::string_view typname;
  std::string_view format;  // format_type's name
  int typlen;
  char category;
  int array_oid;
};
constexpr std::array kPgTypes = {
    PgType{16, "bool", "boolean", 1, 'B', 1000},
    PgType{17, "bytea", "bytea", -1, 'U', 1001},
    PgType{20, "int8", "bigint", 8, 'N', 1016},
    PgType{21, "int2", "smallint", 2, 'N', 1005},
    PgType{23, "int4", "integer", 4, 'N', 1007},
    PgType{25, "text", "text", -1, 'S', 1009},
    PgType{700, "float4", "real", 4, 'N', 1021},
    PgType{701, "float8", "double precision", 8, 'N', 1022},
    PgType{1043, "varchar", "character varying", -1, 'S', 1015},
    PgType{1082, "date", "date", 4, 'D', 1182},
    PgType{1083, "time", "time without time zone", 8, 'D', 1183},
    PgType{1114, "timestamp", "timestamp without time zone", 8, 'D', 1115},
    PgType{1184, "timestamptz", "timestamp with time zone", 8, 'D', 1185},
    PgType{1186, "interval", "interval", 16, 'T', 1187},
    PgType{1700, "numeric", "numeric", -1, 'N', 1231},
    PgType{2950, "uuid", "uuid", 16, 'U', 2951},
};

// DuckDB's type names (duckdb_columns().data_type) and the OID sql::PgTypeOid gives their
// TypeKind; every other scalar is text (25), as the wire protocol sends it.
struct DuckType {
  std::string_view name;
  int oid;
};
constexpr std::array kDuckTypes = {
    DuckType{"BOOLEAN", 16},        DuckType{"TINYINT", 21},        DuckType{"SMALLINT", 21},
    DuckType{"UTINYINT", 21},       DuckType{"INTEGER", 23},        DuckType{"USMALLINT", 23},
    DuckType{"BIGINT", 20},         DuckType{"UINTEGER", 20},       DuckType{"UBIGINT", 1700},
    DuckType{"HUGEINT", 1700},      DuckType{"UHUGEINT", 1700},     DuckType{"FLOAT", 700},
    DuckType{"DOUBLE", 701},        DuckType{"BLOB", 17},           DuckType{"DATE", 1082},
    DuckType{"TIME", 1083},         DuckType{"TIMESTAMP", 1114},    DuckType{"TIMESTAMP_S", 1114},
    DuckType{"TIMESTAMP_MS", 1114}, DuckType{"TIMESTAMP_NS", 1114}, DuckType{"TIMESTAMP WITH TIME ZONE", 1184},
    DuckType{"INTERVAL", 1186},     DuckType{"UUID", 2950},
};
// Scalars the wire protocol sends as text but that are no PostgreSQL array element (TypeKind
// kOther): a list of them is text, not text[].
constexpr std::array<std::string_view, 4> kOtherScalars = {"TIME WITH TIME ZONE", "TIME_NS", "BIT", "\"NULL\""};

std::string Quote(std::string_view s) { return fmt::format("'{}'", s); }

// scalar_type_oid(data_type), array_type_oid(element_oid), type_oid(data_type), format_type.
std::vector<std::string> TypeMacros(std::string_view schema) {
  std::string scalar = "CASE";
  for (const DuckType& t : kDuckTypes) scalar += fmt::format(" WHEN t = {} THEN {}", Quote(t.name), t.oid);
  scalar += " WHEN t LIKE 'DECIMAL(%' THEN 1700 ELSE 25 END";
  std::string array = "CASE e";
  std::string format = "CASE type_oid";
  for (const PgType& t : kPgTypes) {
    array += fmt::format(" WHEN {} THEN {}", t.oid, t.array_oid);
    format += fmt::format(" WHEN {} THEN {} WHEN {} THEN {}", t.oid, Quote(t.format), t.array_oid,
                          Quote(std::string(t.format) + "[]"));
  }
  array += " ELSE 1009 END";
  format += " ELSE '?\?\?' END";  // PostgreSQL's answer for an unknown OID
  std::string other;
  for (std::string_view name : kOtherScalars) other += (other.empty() ? "" : ", ") + Quote(name);
  return {
      fmt::format("CREATE OR REPLACE MACRO {}.scalar_type_oid(t) AS {}", schema, scalar),
      fmt::format("CREATE OR REPLACE MACRO {}.array_type_oid(e) AS {}", schema, array),
      // A list or fixed-size array of scalars is a PostgreSQL array; of anything else, text.
      fmt::format("CREATE OR REPLACE MACRO {0}.type_oid(t) AS CASE "
                  "WHEN NOT regexp_matches(t, '\\[\\d*\\]$') THEN {0}.scalar_type_oid(t) "
                  "WHEN regexp_matches(regexp_replace(t, '\\[\\d*\\]$', ''), '(\\]|^STRUCT\\(|^MAP\\(|^UNION\\()') "
                  "OR regexp_replace(t, '\\[\\d*\\]$', '') IN ({1}) THEN 25 "
                  "ELSE {0}.array_type_oid({0}.scalar_type_oid(regexp_replace(t, '\\[\\d*\\]$', ''))) END",
                  schema, other),
      // PostgreSQL's numeric typmod: ((precision << 16) | scale) + 4.
      fmt::format(
          "CREATE OR REPLACE MACRO {}.format_type(type_oid, typmod) AS CASE "
          "WHEN type_oid IN (1700, 1231) AND typmod >= 4 THEN printf('numeric(%d,%d)%s', (typmod - 4) // 65536, "
          "(typmod - 4) % 65536, CASE WHEN type_oid = 1231 THEN '[]' ELSE '' END) ELSE {} END",
          schema, format),
  };
}

std::string PgTypeView(std::string_view schema) {
  std::string rows;
  for (const PgType& t : kPgTypes) {
    if (!rows.empty()) rows += ", ";
    rows += fmt::format("({}, {}, {}, '{}', 0, {}), ({}, {}, -1, 'A', {}, 0)", t.oid, Quote(t.typname), t.typlen,
                        t.category, t.array_oid, t.array_oid, Quote("_" + std::string(t.typname)), t.oid);
  }
  return fmt::format(
      "CREATE OR REPLACE VIEW {}.pg_type AS SELECT oid::BIGINT AS oid, typname, "
      "(SELECT oid FROM duckdb_schemas() WHERE database_name = 'system' AND schema_name = 'pg_catalog') AS "
      "typnamespace, "
      "10::BIGINT AS typowner, typlen::SMALLINT AS typlen, typlen > 0 AS typbyval, 'b' AS typtype, typcategory, "
      "false AS typispreferred, true AS typisdefined, ',' AS typdelim, 0::BIGINT AS typrelid, "
      "CASE WHEN typelem = 0 THEN '-' ELSE 'array_subscript_handler' END AS typsubscript, typelem::BIGINT AS typelem, "
      "typarray::BIGINT AS typarray, CASE WHEN typelem = 0 THEN typname || 'in' ELSE 'array_in' END AS typinput, "
      "CASE WHEN typelem = 0 THEN typname || 'out' ELSE 'array_out' END AS typoutput, '-' AS typreceive, '-' AS "
      "typsend, "
      "'-' AS typmodin, '-' AS typmodout, '-' AS typanalyze, 'i' AS typalign, 'p' AS typstorage, false AS typnotnull, "
      "0::BIGINT AS typbasetype, -1 AS typtypmod, CASE WHEN typelem = 0 THEN 0 ELSE 1 END AS typndims, "
      "CASE WHEN typcategory = 'S' THEN 100 ELSE 0 END::BIGINT AS typcollation, NULL::VARCHAR AS typdefaultbin, "
      "NULL::VARCHAR AS typdefault, NULL::VARCHAR[] AS typacl "
      "FROM (VALUES {}) AS t(oid, typname, typlen, typcategory, typelem, typarray)",
      schema, rows);
}

// Each session's temporary views of lagoa's relations are shown in schema main as tables.
std::vector<std::string> RelationViews(std::string_view schema) {
  const std::string main_oid =
      "(SELECT oid FROM duckdb_schemas() WHERE database_name = current_database() AND schema_name = 'main')";
  auto lagoa_or = [](std::string_view lagoa, std::string_view otherwise, std::string_view name) {
    return fmt::format("CASE WHEN r.view_oid IS NULL THEN {} ELSE {} END AS {}", otherwise, lagoa, name);
  };
  return {
      fmt::format("CREATE OR REPLACE VIEW {}.relations AS SELECT view_oid, view_name FROM duckdb_views() "
                  "WHERE temporary AND comment = {}",
                  schema, Quote(kRelationComment)),
      // reloptions and relacl are typed: psql unnests them.
      fmt::format(
          "CREATE OR REPLACE VIEW {0}.pg_class AS SELECT c.* REPLACE ({1}, {2}, {3}, "
          "NULL::VARCHAR[] AS reloptions, NULL::VARCHAR[] AS relacl), "
          "false AS relforcerowsecurity FROM pg_catalog.pg_class c LEFT JOIN {0}.relations r ON r.view_oid = c.oid "
          "WHERE c.relnamespace NOT IN (SELECT oid FROM duckdb_schemas() WHERE schema_name = '{0}')",
          schema, lagoa_or("'r'", "c.relkind", "relkind"), lagoa_or(main_oid, "c.relnamespace", "relnamespace"),
          lagoa_or("'p'", "c.relpersistence", "relpersistence")),
      fmt::format("CREATE OR REPLACE VIEW {0}.tables AS SELECT t.* REPLACE ({1}, {2}, {3}) "
                  "FROM information_schema.tables t LEFT JOIN {0}.relations r "
                  "ON t.table_catalog = 'temp' AND t.table_name = r.view_name WHERE t.table_schema <> '{0}'",
                  schema, lagoa_or("current_database()", "t.table_catalog", "table_catalog"),
                  lagoa_or("'main'", "t.table_schema", "table_schema"),
                  lagoa_or("'BASE TABLE'", "t.table_type", "table_type")),
      fmt::format("CREATE OR REPLACE VIEW {0}.columns AS SELECT c.* REPLACE ({1}, {2}, "
                  "CASE WHEN t.typelem <> 0 THEN 'ARRAY' ELSE {0}.format_type(t.oid, -1) END AS data_type, "
                  "t.typname AS udt_name) FROM information_schema.columns c LEFT JOIN {0}.relations r "
                  "ON c.table_catalog = 'temp' AND c.table_name = r.view_name "
                  "LEFT JOIN {0}.pg_type t ON t.oid = {0}.type_oid(c.data_type) WHERE c.table_schema <> '{0}'",
                  schema, lagoa_or("current_database()", "c.table_catalog", "table_catalog"),
                  lagoa_or("'main'", "c.table_schema", "table_schema")),
  };
}

std::vector<std::string> CatalogViews(std::string_view schema) {
  return {
      // atttypid is the PostgreSQL OID (DuckDB's view has its own type ids, which join no pg_type).
      fmt::format("CREATE OR REPLACE VIEW {0}.pg_attribute AS SELECT table_oid AS attrelid, column_name AS attname, "
                  "{0}.type_oid(data_type)::BIGINT AS atttypid, 0 AS attstattarget, -1::SMALLINT AS attlen, "
                  "column_index AS attnum, 0 AS attndims, -1 AS attcacheoff, "
                  "CASE WHEN data_type LIKE 'DECIMAL(%' THEN numeric_precision * 65536 + numeric_scale + 4 ELSE -1 END "
                  "AS atttypmod, false AS attbyval, 'p' AS attalign, 'p' AS attstorage, '' AS attcompression, "
                  "NOT is_nullable AS attnotnull, column_default IS NOT NULL AS atthasdef, false AS atthasmissing, "
                  "'' AS attidentity, '' AS attgenerated, false AS attisdropped, true AS attislocal, 0 AS attinhcount, "
                  "0::BIGINT AS attcollation, NULL::VARCHAR[] AS attacl, NULL::VARCHAR[] AS attoptions, "
                  "NULL::VARCHAR[] AS attfdwoptions, NULL::VARCHAR AS attmissingval FROM duckdb_columns()",
                  schema),
      fmt::format(
          "CREATE OR REPLACE VIEW {0}.pg_namespace AS SELECT oid, schema_name AS nspname, 10::BIGINT AS nspowner, "
          "NULL::VARCHAR[] AS nspacl FROM duckdb_schemas() WHERE (database_name = current_database() "
          "AND schema_name <> '{0}') OR (database_name = 'system' AND schema_name IN ('pg_catalog', "
          "'information_schema'))",
          schema),
      fmt::format("CREATE OR REPLACE VIEW {}.pg_database AS SELECT database_oid AS oid, database_name AS datname, "
                  "10::BIGINT AS datdba, 6 AS encoding, 'c' AS datlocprovider, false AS datistemplate, "
                  "true AS datallowconn, -1 AS datconnlimit, 'C' AS datcollate, 'C' AS datctype, "
                  "NULL::VARCHAR AS daticulocale, NULL::VARCHAR AS datcollversion, NULL::VARCHAR[] AS datacl "
                  "FROM duckdb_databases() WHERE NOT internal",
                  schema),
      fmt::format("CREATE OR REPLACE VIEW {}.pg_collation AS SELECT 100::BIGINT AS oid, 'default' AS collname, "
                  "0::BIGINT AS collnamespace, 'd' AS collprovider, true AS collisdeterministic, -1 AS collencoding, "
                  "NULL::VARCHAR AS collcollate, NULL::VARCHAR AS collctype",
                  schema),
  };
}

}  // namespace

Status CreatePgCatalogShim(duckdb_connection connection) {
  const std::string schema(kPgCatalogSchema);
  std::vector<std::string> statements = {fmt::format("CREATE SCHEMA IF NOT EXISTS {}", schema)};
  for (std::string& s : TypeMacros(schema)) statements.push_back(std::move(s));
  statements.push_back(PgTypeView(schema));
  for (std::string& s : RelationViews(schema)) statements.push_back(std::move(s));
  for (std::string& s : CatalogViews(schema)) statements.push_back(std::move(s));
  for (std::string_view function :
       {"pg_get_userbyid(id) AS 'lagoa'", "pg_encoding_to_char(id) AS 'UTF8'",
        "obj_description(id, catalog := NULL) AS NULL::VARCHAR", "col_description(id, column_number) AS NULL::VARCHAR",
        "shobj_description(id, catalog) AS NULL::VARCHAR", "pg_table_size(id) AS NULL::BIGINT",
        "pg_relation_size(id) AS NULL::BIGINT", "pg_total_relation_size(id) AS NULL::BIGINT"}) {
    statements.push_back(fmt::format("CREATE OR REPLACE MACRO {}.{}", schema, function));
  }
  for (const std::string& sql : statements) {
    if (Status created = duck::Execute(connection, sql); !created.ok()) {
      return Status::Internal(fmt::format("creating the PostgreSQL catalog shim: {}: {}", sql, created.message()));
    }
  }
  return Status::Ok();
}

}  // namespace lagoa::sql::internal
