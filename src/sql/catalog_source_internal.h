// SqlObjectsSource: the SQL engine as a source of the node's catalog (src/catalog): the lake tables
// made by SQL and the schemas, views and macros clients made and the engine keeps
// (sql_objects_internal.h), each with its definition and, as lineage, the relations its SQL names (DuckDB's own parser,
// json_serialize_sql, on a connection of the source's own).
//
// Lifecycle: made by the engine after its database; destroyed before it. Threads: Entries() from
// any thread (one mutex guards the connection).
#pragma once

#include <duckdb.h>

#include <memory>
#include <mutex>

#include "catalog/catalog.h"
#include "sql/session_internal.h"

namespace lagoa::sql::internal {

class SqlObjectsSource final : public catalog::Source {
 public:
  static Result<std::unique_ptr<SqlObjectsSource>> Make(const std::shared_ptr<EngineShared>& shared);
  ~SqlObjectsSource() override;
  std::vector<catalog::Entry> Entries(catalog::Detail detail) const override;

 private:
  // The lake tables made by SQL; a CREATE TABLE … AS derives from what its SELECT reads.
  std::vector<catalog::Entry> LakeTables(catalog::Detail detail) const;
  // The relations the query of a CREATE … AS statement names.
  std::vector<std::string> Lineage(const std::string& create) const;
  explicit SqlObjectsSource(std::shared_ptr<EngineShared> shared) : shared_(std::move(shared)) {}
  std::shared_ptr<EngineShared> shared_;
  mutable std::mutex mu_;
  duck::ConnectionHandle names_;  // guarded by mu_
};

// Registers lagoa_catalog() and lagoa_catalog_columns() (catalog_scan.cc): `shared`'s catalog as
// SQL relations, read when a statement's scan starts.
Status RegisterCatalogScans(duckdb_connection connection, const EngineShared* shared);

}  // namespace lagoa::sql::internal
