// The PostgreSQL catalog as lagoa's PostgreSQL front door shows it: views and macros in the schema
// `lagoa_pg` that stand in for pg_catalog and information_schema objects where DuckDB's differ
// from what psql and JDBC/ODBC drivers expect. Streams and attached Delta tables (each session's
// temporary views) appear as tables (relkind 'r', information_schema 'BASE TABLE') in schema
// `main`; column types carry the PostgreSQL OIDs and names the wire protocol sends (bigint, text,
// timestamp with time zone …). The front door rewrites its clients' catalog queries to these
// objects (src/pg/pg_client_queries.cc); nothing else uses them, and `lagoa_pg` is not on any
// search path, so DuckDB's own catalog is unchanged for every other caller (POST /v1/sql).
//
// Created once, by SqlEngine::Make, before any session opens. Threads: none of its own.
#pragma once

#include <string_view>

namespace lagoa::sql {

// The schema of the shim's objects: views pg_class, pg_attribute, pg_type, pg_namespace,
// pg_database, pg_collation, tables and columns (information_schema's), and macros format_type,
// pg_get_userbyid, pg_encoding_to_char, obj_description, col_description, shobj_description, and
// pg_table_size, pg_relation_size, pg_total_relation_size (NULL: lagoa does not tell).
inline constexpr std::string_view kPgCatalogSchema = "lagoa_pg";

}  // namespace lagoa::sql
