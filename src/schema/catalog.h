// Catalog: the durable set of stream definitions of a node, one file per stream in its directory
// (JSON as StreamDefinitionToJson writes it), replaced atomically (write, fsync, rename, fsync
// directory) on every change.
//
// Lifecycle: Open() loads every definition; lives until the server stops.
// Threads: every method is safe from any thread. Definitions handed out are immutable snapshots:
// AddColumns publishes a new StreamDefinition and leaves the old one to its holders.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "schema/schema.h"

namespace lagoa::schema {

class Catalog {
 public:
  // Creates the directory when missing. Corruption naming the file for a definition that does
  // not parse or validate.
  static Result<std::unique_ptr<Catalog>> Open(const std::filesystem::path& dir);

  // Validates and stores a new stream (ValidateStreamDefinition). AlreadyExists when the name is
  // taken.
  Result<std::shared_ptr<const StreamDefinition>> Create(StreamDefinition definition);
  // nullptr when there is no such stream.
  std::shared_ptr<const StreamDefinition> Find(std::string_view name) const;
  // Sorted by name.
  std::vector<std::shared_ptr<const StreamDefinition>> List() const;
  // Appends a new version with `new_fields` (nullable) added after the latest version's columns.
  // When the latest version is no longer `expected_latest` (another thread evolved the schema
  // first), the fields the current version lacks are added to it (the same result as inferring
  // against it) and the current definition is returned when it has them all already; a field
  // present with another type or another case is InvalidArgument naming it.
  Result<std::shared_ptr<const StreamDefinition>> AddColumns(std::string_view name, SchemaVersion expected_latest,
                                                             std::vector<Field> new_fields);
  // NotFound when there is no such stream.
  Status Drop(std::string_view name);

 private:
  explicit Catalog(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Status Store(const StreamDefinition& definition);  // REQUIRES: mu_ held

  std::filesystem::path dir_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const StreamDefinition>, std::less<>> streams_;
};

}  // namespace lagoa::schema
