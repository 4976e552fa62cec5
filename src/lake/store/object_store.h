// ObjectStore: the few operations lake tables need from the storage that holds them (a local
// directory today, S3-compatible stores later). Keys are '/'-separated paths relative to the
// store's root ("_delta_log/00000000000000000003.json"). Objects are immutable: the only write is
// PutIfAbsent, which is what makes a Delta commit atomic (exactly one writer wins a version).
//
// Lifecycle: made by a factory (e.g. LocalObjectStore::Make), used, destroyed; no Start/Stop.
// Threads: every method may be called from any thread concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace lagoa::lake {

struct ObjectInfo {
  std::string key;
  uint64_t size_bytes = 0;
  int64_t modified_ms = 0;  // milliseconds since the epoch

  friend bool operator==(const ObjectInfo&, const ObjectInfo&) = default;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Stores `data` under `key` unless the key exists; AlreadyExists when it does. Atomic: readers
  // see either no object or all of it, and an existing object is never overwritten. Durable when
  // it returns OK.
  virtual Status PutIfAbsent(std::string_view key, std::string_view data) = 0;

  // The whole object; NotFound when the key does not exist.
  virtual Result<std::string> Get(std::string_view key) = 0;
  // Whether an object is stored under `key` (a stat, an S3 HEAD): cheaper than listing when a
  // reader asks whether a table has a commit newer than the one it knows.
  virtual Result<bool> Exists(std::string_view key) = 0;

  // `length_bytes` bytes from `offset_bytes`, fewer when the object ends first; OutOfRange when
  // `offset_bytes` is past the end.
  virtual Result<std::string> GetRange(std::string_view key, uint64_t offset_bytes, uint64_t length_bytes) = 0;

  // Every object whose key starts with `prefix` (plain string prefix, not only whole directories),
  // sorted by key. An empty prefix lists the whole store.
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) { return ListAfter(prefix, {}); }

  // The same, only the keys greater than `start_after` (S3's StartAfter): a Delta reader lists
  // the log from its last checkpoint on instead of every commit.
  virtual Result<std::vector<ObjectInfo>> ListAfter(std::string_view prefix, std::string_view start_after) = 0;

  // Removes the object; NotFound when it does not exist.
  virtual Status Delete(std::string_view key) = 0;

  // Where DuckDB can read the object directly (a local path, later an s3:// URL), for
  // read_parquet. Does not check that the object exists.
  virtual Result<std::string> DuckDbLocation(std::string_view key) const = 0;
};

// OK when `key` is a usable key: non-empty, at most kObjectKeyBytesMax bytes, no leading or
// trailing '/', no empty, "." or ".." segment, no NUL byte, no segment starting with the
// reserved temporary-file prefix.
Status ValidateObjectKey(std::string_view key);

inline constexpr size_t kObjectKeyBytesMax = 1024;
// Segments starting with this are a store's in-flight temporary files; never listed.
inline constexpr std::string_view kTempObjectPrefix = ".lagoa-tmp-";

}  // namespace lagoa::lake
