// The catalog's sources for objects that modules below SQL own: streams (with their dead-letter
// streams) from the stream registry, and tables from an AttachedTables list (attached tables, or
// the lake tables SQL made). The SQL engine is the source of views, macros and schemas
// (sql::SqlEngine::catalog_source). Lifecycle: made by the node after their owners, which must
// outlive them. Threads: any (the owners are thread-safe).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "ingest/stream_registry.h"
#include "lake/attached_tables.h"

namespace lagoa::catalog {

class StreamsSource final : public Source {
 public:
  // `lake_dir`: where a stream's lake table lives (<lake_dir>/<stream>/).
  StreamsSource(const ingest::StreamRegistry* registry, std::filesystem::path lake_dir)
      : registry_(registry), lake_dir_(std::move(lake_dir)) {}
  std::vector<Entry> Entries(Detail detail) const override;

 private:
  const ingest::StreamRegistry* registry_;
  const std::filesystem::path lake_dir_;
};

class TablesSource final : public Source {
 public:
  // `kind`: kTable (lake tables made by SQL) or kAttachedTable.
  TablesSource(const lake::AttachedTables* tables, std::string_view kind) : tables_(tables), kind_(kind) {}
  std::vector<Entry> Entries(Detail detail) const override;

 private:
  const lake::AttachedTables* tables_;
  const std::string kind_;
};

}  // namespace lagoa::catalog
