#include "log/producer_keys.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "base/assert.h"
#include "base/crc32c.h"
#include "base/file_util.h"

namespace lagoa::log {
namespace {

// Entry: u32 crc32c (of the rest), u16 key_bytes, i64 time_us, i64 first_offset, i64 last_offset, key.
constexpr size_t kEntryHeaderBytes = 4 + 2 + 3 * 8;
constexpr size_t kJournalBytesMax = size_t{1} << 30;
// The journal is rewritten once it holds this many more entries than keys remembered.
constexpr uint64_t kCompactSlackEntries = 4096;

}  // namespace

ProducerKeys::ProducerKeys(std::filesystem::path path, const LogOptions& options)
    : path_(std::move(path)),
      window_us_(std::chrono::duration_cast<std::chrono::microseconds>(options.producer_key_window_ms).count()),
      keys_max_(options.producer_keys_max) {}

ProducerKeys::~ProducerKeys() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<ProducerKeys>> ProducerKeys::Open(std::filesystem::path path, Offset next_offset,
                                                         const LogOptions& options, int64_t now_us) {
  std::unique_ptr<ProducerKeys> keys(new ProducerKeys(std::move(path), options));
  Result<std::string> journal = ReadWholeFile(keys->path_, kJournalBytesMax);
  if (!journal.ok() && journal.status().code() == StatusCode::kNotFound) return keys;
  if (!journal.ok()) return journal.status();
  std::span<const std::byte> bytes = AsBytes(*journal);
  size_t at = 0;
  uint64_t read = 0;
  while (at < bytes.size()) {
    const size_t left = bytes.size() - at;
    const std::byte* e = bytes.data() + at;
    const size_t key_bytes = left >= kEntryHeaderBytes ? LoadFixed<uint16_t>(e + 4) : 0;
    const bool whole = left >= kEntryHeaderBytes && left >= kEntryHeaderBytes + key_bytes;
    const bool valid = whole && LoadFixed<uint32_t>(e) == Crc32c(std::span(e + 4, kEntryHeaderBytes - 4 + key_bytes));
    if (!valid) {
      // Entries are appended and synced in order: only the last one can be torn.
      if (whole && left > kEntryHeaderBytes + key_bytes) {
        return Status::Corruption(fmt::format("{} byte {}: a producer key entry fails its CRC and entries follow it",
                                              keys->path_.string(), at));
      }
      break;
    }
    Entry entry{LoadFixed<int64_t>(e + 6), {Offset(LoadFixed<int64_t>(e + 14)), Offset(LoadFixed<int64_t>(e + 22))}};
    std::string key(reinterpret_cast<const char*>(e + kEntryHeaderBytes), key_bytes);
    at += kEntryHeaderBytes + key_bytes;
    ++read;
    // A batch recovery cut off: its offsets are handed out again, so its key must not answer.
    if (entry.appended.last_offset >= next_offset) continue;
    keys->keys_[key] = entry;
    keys->order_.emplace_back(std::move(key), entry.time_us);
  }
  keys->Expire(now_us);
  keys->journal_entries_ = read;
  if (at != bytes.size() || keys->keys_.size() != read) LAGOA_RETURN_IF_ERROR(keys->Rewrite());
  return keys;
}

void ProducerKeys::Expire(int64_t now_us) {
  while (!order_.empty() && (order_.front().second < now_us - window_us_ || keys_.size() > keys_max_)) {
    auto it = keys_.find(order_.front().first);
    // The key may have been remembered again since (after it expired): only its own entry goes.
    if (it != keys_.end() && it->second.time_us == order_.front().second) keys_.erase(it);
    order_.pop_front();
  }
}

std::optional<AppendResult> ProducerKeys::Find(const std::string& key, int64_t now_us) {
  Expire(now_us);
  auto it = keys_.find(key);
  if (it == keys_.end()) return std::nullopt;
  AppendResult found = it->second.appended;
  found.duplicate = true;
  return found;
}

void ProducerKeys::Add(const std::string& key, int64_t now_us, AppendResult appended) {
  LAGOA_ASSERT(key.size() <= kProducerKeyBytesMax);
  Entry entry{now_us, appended};
  keys_[key] = entry;
  cycle_keys_.push_back(key);
  order_.emplace_back(key, now_us);
  PutEntry(pending_, key, entry);
  ++pending_entries_;
  Expire(now_us);
}

void ProducerKeys::PutEntry(Bytes& out, const std::string& key, const Entry& entry) {
  const size_t at = out.size();
  PutFixed<uint32_t>(out, 0);
  PutFixed<uint16_t>(out, static_cast<uint16_t>(key.size()));
  PutFixed<int64_t>(out, entry.time_us);
  PutFixed<int64_t>(out, entry.appended.first_offset.value());
  PutFixed<int64_t>(out, entry.appended.last_offset.value());
  PutBytes(out, AsBytes(key));
  StoreFixed<uint32_t>(out.data() + at, Crc32c(std::span<const std::byte>(out).subspan(at + 4)));
}

Status ProducerKeys::OpenForAppend() {
  if (fd_ >= 0) return Status::Ok();
  LAGOA_ASSIGN_OR_RETURN(fd_, OpenFile(path_, O_WRONLY | O_CREAT | O_APPEND));
  return SyncDir(path_.parent_path());
}

Status ProducerKeys::WritePending(bool sync) {
  if (pending_.empty()) return Status::Ok();
  if (journal_entries_ > 2 * keys_.size() + kCompactSlackEntries) {
    pending_.clear();  // every remembered key, the queued ones included, is in the rewrite
    pending_entries_ = 0;
    cycle_rewrote_ = true;
    return Rewrite();
  }
  LAGOA_RETURN_IF_ERROR(OpenForAppend());
  if (!cycle_journal_bytes_) {
    const off_t end = ::lseek(fd_, 0, SEEK_END);
    if (end < 0) return Status::FromErrno("seek " + path_.string(), errno);
    cycle_journal_bytes_ = static_cast<uint64_t>(end);
  }
  LAGOA_RETURN_IF_ERROR(WriteAll(fd_, pending_, path_));
  journal_entries_ += pending_entries_;
  cycle_entries_written_ += pending_entries_;
  pending_.clear();
  pending_entries_ = 0;
  return sync ? SyncFile(fd_, path_) : Status::Ok();
}

void ProducerKeys::StartCycle() {
  cycle_keys_.clear();
  cycle_journal_bytes_.reset();
  cycle_entries_written_ = 0;
  cycle_rewrote_ = false;
}

Status ProducerKeys::RollBackCycle() {
  for (const std::string& key : cycle_keys_) keys_.erase(key);  // order_ entries without a key expire alone
  pending_.clear();
  pending_entries_ = 0;
  Status s;
  if (cycle_rewrote_) {
    s = Rewrite();
  } else if (cycle_journal_bytes_) {
    s = TruncateFile(fd_, *cycle_journal_bytes_, path_);
    if (s.ok()) s = SyncFile(fd_, path_);
    s = s.WithContext("cutting the failed write off");
    journal_entries_ -= std::min(journal_entries_, cycle_entries_written_);
  }
  StartCycle();
  return s;
}

Status ProducerKeys::Rewrite() {
  Bytes contents;
  for (const auto& [key, time_us] : order_) {
    auto it = keys_.find(key);
    if (it != keys_.end() && it->second.time_us == time_us) PutEntry(contents, key, it->second);
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  LAGOA_RETURN_IF_ERROR(WriteFileAtomically(path_, AsStringView(contents)));
  journal_entries_ = keys_.size();
  return Status::Ok();
}

}  // namespace lagoa::log
