// The catalog's sources for objects that modules below SQL own: streams (with their dead-letter
// streams) from the stream registry, and attached tables from their AttachedTables list. The SQL
// engine is the source of the lake tables it made and of views, macros and schemas
// (sql/catalog_source_internal.h). Lifecycle: made by the node after their owners, which must
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
  explicit TablesSource(const lake::AttachedTables* tables) : tables_(tables) {}
  std::vector<Entry> Entries(Detail detail) const override;

 private:
  const lake::AttachedTables* tables_;
};

}  // namespace lagoa::catalog
