// ProducerKeys: the idempotency keys of one partition's recent appends, so that a producer's
// retry of a batch that became durable is answered with the first try's offsets instead of being
// appended again (README.md, "Producer keys"). Internal to src/log.
//
// Durability: each key is written to the partition's `producer_keys` journal, and synced, before
// its batch's bytes are written to the segment. So a batch on disk always has its key on disk;
// a key whose batch did not survive recovery (a torn tail) is dropped at Open, because its
// offsets will be handed out again.
//
// Lifecycle: opened by PartitionImpl after its segments are recovered; lives as long as the
// partition. Threads: the log's I/O thread only (Find, Add, WritePending).
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "log/log.h"

namespace lagoa::log {

class ProducerKeys {
 public:
  // Reads `path` when it exists, keeping the keys younger than the window whose batches end below
  // `next_offset`; rewrites the file when it dropped any (or found a torn last entry). Corruption
  // names the file and byte of an entry that fails its CRC before the last one.
  static Result<std::unique_ptr<ProducerKeys>> Open(std::filesystem::path path, Offset next_offset,
                                                    const LogOptions& options, int64_t now_us);
  ~ProducerKeys();
  ProducerKeys(const ProducerKeys&) = delete;
  ProducerKeys& operator=(const ProducerKeys&) = delete;

  // The offsets of the batch appended with `key`, when it is still remembered.
  std::optional<AppendResult> Find(const std::string& key, int64_t now_us);
  // Remembers `key` for the batch at `appended` and queues its journal entry.
  void Add(const std::string& key, int64_t now_us, AppendResult appended);
  // Writes the queued entries (and fdatasyncs them when `sync`); compacts the journal when it
  // holds many more entries than keys remembered.
  Status WritePending(bool sync);
  size_t size() const { return keys_.size(); }
  // A group commit begins: RollBackCycle() undoes what Add and WritePending do from here on.
  void StartCycle();
  // The cycle's writes failed: forgets the keys it added and cuts their journal entries off
  // (synced), or rewrites the journal when it was compacted meanwhile. An error leaves them in
  // the journal (the log then fails stop).
  Status RollBackCycle();

 private:
  struct Entry {
    int64_t time_us = 0;
    AppendResult appended;
  };
  ProducerKeys(std::filesystem::path path, const LogOptions& options);
  // Forgets keys past the window, and the oldest beyond producer_keys_max.
  void Expire(int64_t now_us);
  static void PutEntry(Bytes& out, const std::string& key, const Entry& entry);
  Status Rewrite();  // the journal as the keys remembered now, atomically
  Status OpenForAppend();

  const std::filesystem::path path_;
  const int64_t window_us_;
  const size_t keys_max_;
  std::unordered_map<std::string, Entry> keys_;
  std::deque<std::pair<std::string, int64_t>> order_;  // (key, time_us), oldest first
  Bytes pending_;                                      // entries not yet written
  uint64_t pending_entries_ = 0;
  uint64_t journal_entries_ = 0;  // entries in the file, live or not
  // Since StartCycle(): keys added, the journal's size before the cycle wrote to it, entries it
  // wrote and whether it rewrote the journal.
  std::vector<std::string> cycle_keys_;
  std::optional<uint64_t> cycle_journal_bytes_;
  uint64_t cycle_entries_written_ = 0;
  bool cycle_rewrote_ = false;
  int fd_ = -1;
};

}  // namespace lagoa::log
