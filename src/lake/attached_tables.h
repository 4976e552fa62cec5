// AttachedTables: the Delta tables registered with `lagoa table attach NAME PATH` — tables another
// engine writes and lagoa only reads. The list is one JSON file (`<data dir>/attached_tables.json`)
// replaced atomically on every change, so a crash leaves the old list or the new one.
//
// Lifecycle: Open() reads the file (a missing file is an empty list); changes are durable when
// Attach/Detach return. Threads: every method may be called from any thread (mu_ guards the map
// and the file).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace lagoa::lake {

struct AttachedTable {
  std::string name;
  std::filesystem::path path;  // absolute: the table's root directory (it holds `_delta_log/`)
  int64_t attached_ms = 0;     // milliseconds since the epoch
  // The statement that made it (CREATE TABLE … AS SELECT), for its lineage; empty for an attached
  // table and a CREATE TABLE of columns.
  std::string sql;

  friend bool operator==(const AttachedTable&, const AttachedTable&) = default;
};

class AttachedTables {
 public:
  // Corruption naming the file when it exists but does not parse.
  static Result<std::unique_ptr<AttachedTables>> Open(std::filesystem::path file);

  // InvalidArgument for an invalid name (the rules of stream names) or a relative path;
  // AlreadyExists when the name is taken.
  Status Attach(AttachedTable table);
  // NotFound when no table has this name.
  Status Detach(std::string_view name);
  // Replaces the statement kept for table `name`'s lineage (CREATE OR REPLACE TABLE); NotFound
  // when no table has this name.
  Status SetSql(std::string_view name, std::string sql);
  std::optional<AttachedTable> Find(std::string_view name) const;
  // The table whose name equals `name` ignoring case (SQL matches identifiers that way).
  std::optional<AttachedTable> FindIgnoringCase(std::string_view name) const;
  // Sorted by name.
  std::vector<AttachedTable> List() const;

 private:
  explicit AttachedTables(std::filesystem::path file) : file_(std::move(file)) {}
  Status Store(const std::map<std::string, AttachedTable, std::less<>>& tables);  // REQUIRES: mu_ held

  const std::filesystem::path file_;
  mutable std::mutex mu_;
  std::map<std::string, AttachedTable, std::less<>> tables_;  // guarded by mu_
};

}  // namespace lagoa::lake
