// Catalog: every named object of a node in one case-insensitive namespace — streams and their
// dead-letter streams, lake tables made by SQL, attached tables, views, macros and schemas (and,
// as later issues add them, materialized views, sinks, sources, jobs, endpoints and dashboards).
// For each: kind, definition, location (an object-store URI), creation time, columns with their
// tags, and what it is derived from (lineage). It is the one place names are checked, the source of
// GET /v1/catalog and `lagoa catalog`, and where column tags (`personal`, `subject_key` …) live, so
// that erasing one person can later reach every copy by walking the catalog.
//
// The objects themselves stay with their owners (the stream registry, the attached-table lists,
// the SQL engine's kept objects), which write them durably; each owner is a Source the catalog
// reads at every call, so the catalog is never stale. Column tags are the catalog's own: a JSON
// file replaced atomically (written, fsynced, renamed) before SetColumnTags returns.
//
// Lifecycle: Open → AddSource for each owner (before other threads use it) → any calls. Threads:
// every method from any thread; sources must be thread-safe; one mutex guards the tags.
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

namespace lagoa::catalog {

// Kinds of objects. Relations (streams, tables, views) share SQL's namespace of relation names;
// macros and schemas have their own.
inline constexpr std::string_view kStream = "stream";
inline constexpr std::string_view kDeadLetterStream = "dead_letter_stream";
inline constexpr std::string_view kTable = "table";  // a lake table made by SQL
inline constexpr std::string_view kAttachedTable = "attached_table";
inline constexpr std::string_view kView = "view";
inline constexpr std::string_view kMacro = "macro";
inline constexpr std::string_view kSchema = "schema";

struct Column {
  std::string name;
  std::string type;               // DuckDB's spelling
  std::vector<std::string> tags;  // set with SetColumnTags
};

struct Entry {
  std::string kind;
  std::string name;        // objects of a SQL schema other than main are "schema.name"
  std::string definition;  // what makes it: a stream's JSON definition, a view's or macro's SQL, a table's path
  std::string location;    // an object-store URI ("file:///data/lake/clicks/"); empty for views, macros, schemas
  std::optional<int64_t> created_ms;
  std::vector<Column> columns;            // empty when the owner does not know them without reading files
  std::vector<std::string> derived_from;  // lineage: the catalog objects it reads, by name

  bool is_relation() const { return kind != kMacro && kind != kSchema; }
};

// How much a source says of each object: kNames is kind, name and columns, for name checks; kFull
// adds what takes work to learn (a view's lineage is parsed by DuckDB).
enum class Detail { kNames, kFull };

// An owner of objects. Entries() answers what it holds now; `derived_from` may name anything the
// object's definition mentions (the catalog keeps the names that are objects).
class Source {
 public:
  virtual ~Source() = default;
  virtual std::vector<Entry> Entries(Detail detail) const = 0;
};

class Catalog {
 public:
  // `tags_file`: where column tags are kept (missing: none yet; empty path: tags cannot be set).
  // Corruption when it cannot be read.
  static Result<std::unique_ptr<Catalog>> Open(std::filesystem::path tags_file);

  void AddSource(const Source* source);

  // Every object, sorted by name, with tags and lineage filled in.
  std::vector<Entry> List() const;
  // The object called `name`, ignoring case.
  std::optional<Entry> Find(std::string_view name) const;
  // The one name check for a new relation: AlreadyExists naming what holds `name` (ignoring case)
  // and what `creating` (e.g. "CREATE STREAM") should do instead; OK when it is free, or held by
  // an object of kind `replaceable` (CREATE OR REPLACE VIEW replaces a view; DuckDB checks it).
  Status CheckRelationNameFree(std::string_view name, std::string_view creating,
                               std::string_view replaceable = {}) const;

  // Replaces the tags of `column` of `object` (no tags: removes them). NotFound for an unknown
  // object, or a column the object does not have when its columns are known; InvalidArgument for a
  // tag that is not 1 to 64 characters of a-z, 0-9 and '_'.
  Status SetColumnTags(std::string_view object, std::string_view column, std::vector<std::string> tags);

 private:
  explicit Catalog(std::filesystem::path tags_file) : tags_file_(std::move(tags_file)) {}
  std::vector<Entry> Gather(Detail detail) const;
  Status WriteTags() const;  // REQUIRES: mu_ held

  const std::filesystem::path tags_file_;
  std::vector<const Source*> sources_;
  mutable std::mutex mu_;
  // object → column → tags, names as the owner spells them (matched ignoring case). Guarded by mu_.
  std::map<std::string, std::map<std::string, std::vector<std::string>>> tags_;
};

// "file:///abs/path/" for a local folder: the form every location takes, so an S3-compatible store
// later changes only the scheme.
std::string FolderUri(const std::filesystem::path& folder);

}  // namespace lagoa::catalog
