// LocalObjectStore: an ObjectStore over a directory of the local filesystem. Key "a/b/c" is the
// file <root>/a/b/c. PutIfAbsent writes a temporary file in the target directory, fsyncs it and
// then link()s it to the final name, which fails with EEXIST instead of overwriting, so exactly one
// of several racing writers wins; the directory is fsynced afterwards so the name is durable.
//
// Lifecycle: Make() checks (or creates) the root; the object is then immutable. Threads: all
// methods are safe to call concurrently from any thread (no shared mutable state but a
// process-wide atomic counter for temporary names, so stores over the same directory never pick
// the same one).
#pragma once

#include <filesystem>
#include <memory>

#include "lake/store/object_store.h"

namespace lagoa::lake {

struct LocalObjectStoreOptions {
  std::filesystem::path root;
  bool create_if_missing = false;

  static LocalObjectStoreOptions Defaults() { return {}; }
  Status Validate() const;
};

class LocalObjectStore final : public ObjectStore {
 public:
  static Result<std::unique_ptr<LocalObjectStore>> Make(const LocalObjectStoreOptions& options);

  Status PutIfAbsent(std::string_view key, std::string_view data) override;
  Result<std::string> Get(std::string_view key) override;
  Result<bool> Exists(std::string_view key) override;
  Result<std::string> GetRange(std::string_view key, uint64_t offset_bytes, uint64_t length_bytes) override;
  Result<std::vector<ObjectInfo>> ListAfter(std::string_view prefix, std::string_view start_after) override;
  Status Delete(std::string_view key) override;
  Result<std::string> DuckDbLocation(std::string_view key) const override;

  const std::filesystem::path& root() const { return root_; }

 private:
  explicit LocalObjectStore(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path PathOf(std::string_view key) const { return root_ / std::filesystem::path(key); }
  // Creates the missing directories between the root and `dir`, fsyncing each parent it changes.
  Status EnsureDirectory(const std::filesystem::path& dir);

  const std::filesystem::path root_;  // absolute, lexically normal
};

}  // namespace lagoa::lake
