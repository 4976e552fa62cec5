#include "log/segment.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/assert.h"
#include "base/crc32c.h"
#include "base/file_util.h"
#include "log/batch.h"

namespace lagoa::log {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kIndexMagic = 0x3149474C;  // "LGI1"
constexpr size_t kTailReadChunkBytes = 8u << 20;

std::string IndexFileName(Offset base) { return fmt::format("{:020d}.index", base.value()); }

Status WriteAll(int fd, std::span<const std::byte> data, const fs::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("write " + path.string(), errno);
    }
    data = data.subspan(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace

std::string SegmentFileName(Offset base) { return fmt::format("{:020d}.log", base.value()); }

Segment::Segment(fs::path dir, Offset base, int fd)
    : dir_(std::move(dir)), path_(dir_ / SegmentFileName(base)), base_(base), fd_(fd), end_offset_(base.value()) {}

Segment::~Segment() { ::close(fd_); }

Result<std::shared_ptr<Segment>> Segment::Create(const fs::path& dir, Offset base) {
  fs::path path = dir / SegmentFileName(base);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno("create segment " + path.string(), errno);
  std::shared_ptr<Segment> segment(new Segment(dir, base, fd));
  LAGOA_RETURN_IF_ERROR(SyncDir(dir));
  return segment;
}

Result<std::shared_ptr<Segment>> Segment::OpenSealed(const fs::path& dir, Offset base) {
  fs::path path = dir / SegmentFileName(base);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("open segment " + path.string(), errno);
  std::shared_ptr<Segment> segment(new Segment(dir, base, fd));
  off_t file_bytes = ::lseek(fd, 0, SEEK_END);
  if (file_bytes < 0) return Status::FromErrno("seek " + path.string(), errno);
  uint64_t from = 0;
  if (segment->LoadIndex() && !segment->index_.empty()) {
    from = segment->index_.back().position;
    segment->index_.pop_back();  // WalkHeaders notes it again
  } else {
    segment->index_.clear();
  }
  LAGOA_RETURN_IF_ERROR(segment->WalkHeaders(from, static_cast<uint64_t>(file_bytes)));
  return segment;
}

Status Segment::WalkHeaders(uint64_t position, uint64_t file_bytes) {
  Bytes header;
  Offset end = base_;
  int64_t max_ingest = 0;
  while (position < file_bytes) {
    LAGOA_RETURN_IF_ERROR(ReadAt(position, kBatchHeaderBytes, header));
    auto parsed = BatchFraming::ParseHeader(header);
    if (!parsed.ok() || position + parsed->batch_bytes > file_bytes) {
      // A sealed segment is never truncated: readers stop here and report the damage.
      spdlog::error("log: {}: damaged batch header at byte {} ({}); offsets from {} in this segment are unreadable",
                    path_.string(), position, parsed.ok() ? "runs past the end" : parsed.status().message(),
                    end.value());
      break;
    }
    NoteBatch(parsed->base_offset, position);
    end = parsed->end_offset();
    max_ingest = std::max(max_ingest, parsed->ingest_time_us);
    position += parsed->batch_bytes;
  }
  write_size_ = position;
  size_bytes_.store(position, std::memory_order_release);
  Publish(end, max_ingest);
  return Status::Ok();
}

Result<std::shared_ptr<Segment>> Segment::OpenTail(const fs::path& dir, Offset base, uint64_t* truncated_bytes) {
  fs::path path = dir / SegmentFileName(base);
  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("open segment " + path.string(), errno);
  std::shared_ptr<Segment> segment(new Segment(dir, base, fd));
  off_t file_end = ::lseek(fd, 0, SEEK_END);
  if (file_end < 0) return Status::FromErrno("seek " + path.string(), errno);
  const uint64_t file_bytes = static_cast<uint64_t>(file_end);

  uint64_t position = 0;
  Offset expected = base;
  int64_t max_ingest = 0;
  Bytes chunk;
  std::string reason;
  while (position < file_bytes && reason.empty()) {
    LAGOA_RETURN_IF_ERROR(
        segment->ReadAt(position, std::min<uint64_t>(kTailReadChunkBytes, file_bytes - position), chunk));
    size_t at = 0;
    for (;;) {
      std::span<const std::byte> rest(chunk.data() + at, chunk.size() - at);
      const bool rest_ends_file = position + at + rest.size() == file_bytes;
      if (rest.empty()) break;
      if (rest.size() < kBatchHeaderBytes) {
        if (rest_ends_file) reason = "a torn batch header";
        break;
      }
      auto header = BatchFraming::ParseHeader(rest);
      if (!header.ok()) {
        reason = header.status().message();
        break;
      }
      if (position + at + header->batch_bytes > file_bytes) {
        reason = "a torn batch";
        break;
      }
      if (header->batch_bytes > rest.size()) {
        if (at > 0) break;  // read again from this batch
        LAGOA_RETURN_IF_ERROR(segment->ReadAt(position, header->batch_bytes, chunk));
        continue;
      }
      if (!BatchFraming::VerifyCrc(*header, rest.first(header->batch_bytes))) {
        reason = "a batch that fails its CRC";
        break;
      }
      if (header->base_offset != expected) {
        reason =
            fmt::format("a batch at offset {} where {} was expected", header->base_offset.value(), expected.value());
        break;
      }
      segment->NoteBatch(header->base_offset, position + at);
      expected = header->end_offset();
      max_ingest = std::max(max_ingest, header->ingest_time_us);
      at += header->batch_bytes;
    }
    if (at == 0 && reason.empty()) reason = "an unreadable batch";  // never loops without progress
    position += at;
  }
  *truncated_bytes = file_bytes - position;
  if (position < file_bytes) {
    spdlog::warn("log: {}: found {} at byte {}; truncating {} bytes (offsets from {} were never acknowledged)",
                 path.string(), reason, position, file_bytes - position, expected.value());
    if (::ftruncate(fd, static_cast<off_t>(position)) != 0) {
      return Status::FromErrno("truncate " + path.string(), errno);
    }
    if (::fdatasync(fd) != 0) return Status::FromErrno("fdatasync " + path.string(), errno);
  }
  segment->write_size_ = position;
  segment->size_bytes_.store(position, std::memory_order_release);
  segment->Publish(expected, max_ingest);
  return segment;
}

uint64_t Segment::IndexedPosition(Offset offset) const {
  std::lock_guard lock(index_mu_);
  auto it = std::upper_bound(index_.begin(), index_.end(), offset.value(),
                             [](int64_t o, const IndexEntry& e) { return o < e.offset; });
  if (it == index_.begin()) return 0;
  return std::prev(it)->position;
}

Status Segment::ReadAt(uint64_t position, size_t n, Bytes& out) const {
  out.resize(n);
  size_t done = 0;
  while (done < n) {
    ssize_t got = ::pread(fd_, out.data() + done, n - done, static_cast<off_t>(position + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("read " + path_.string(), errno);
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  out.resize(done);
  return Status::Ok();
}

Status Segment::Write(std::span<const std::byte> data) {
  LAGOA_RETURN_IF_ERROR(WriteAll(fd_, data, path_));
  write_size_ += data.size();
  return Status::Ok();
}

Status Segment::Sync() {
  if (::fdatasync(fd_) != 0) return Status::FromErrno("fdatasync " + path_.string(), errno);
  return Status::Ok();
}

void Segment::NoteBatch(Offset base, uint64_t position) {
  std::lock_guard lock(index_mu_);
  if (index_.empty() || position - index_.back().position >= kIndexIntervalBytes) {
    index_.push_back({base.value(), position});
  }
}

void Segment::Publish(Offset end, int64_t max_ingest_time_us) {
  size_bytes_.store(write_size_, std::memory_order_release);
  if (max_ingest_time_us > max_ingest_time_us_.load(std::memory_order_relaxed)) {
    max_ingest_time_us_.store(max_ingest_time_us, std::memory_order_relaxed);
  }
  end_offset_.store(end.value(), std::memory_order_release);
}

// Index file: u32 magic, u32 entry count, entries of (i64 offset, u64 position), u32 CRC32C of
// everything before it.
Status Segment::Seal() {
  Bytes bytes;
  {
    std::lock_guard lock(index_mu_);
    PutFixed<uint32_t>(bytes, kIndexMagic);
    PutFixed<uint32_t>(bytes, static_cast<uint32_t>(index_.size()));
    for (const IndexEntry& e : index_) {
      PutFixed<int64_t>(bytes, e.offset);
      PutFixed<uint64_t>(bytes, e.position);
    }
  }
  PutFixed<uint32_t>(bytes, Crc32c(bytes));
  return WriteFileAtomically(dir_ / IndexFileName(base_), AsStringView(bytes));
}

bool Segment::LoadIndex() {
  fs::path path = dir_ / IndexFileName(base_);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  Bytes bytes;
  std::byte buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    bytes.insert(bytes.end(), buffer, buffer + n);
  }
  ::close(fd);
  ByteReader reader(bytes);
  uint32_t magic = 0, count = 0;
  if (bytes.size() < 12 || !reader.ReadFixed(&magic) || !reader.ReadFixed(&count) || magic != kIndexMagic ||
      bytes.size() != 12 + uint64_t{count} * 16 ||
      LoadFixed<uint32_t>(bytes.data() + bytes.size() - 4) != Crc32c(std::span(bytes).first(bytes.size() - 4))) {
    spdlog::warn("log: index {} is damaged; rebuilding it from the segment", path.string());
    return false;
  }
  std::lock_guard lock(index_mu_);
  for (uint32_t i = 0; i < count; ++i) {
    IndexEntry e{};
    reader.ReadFixed(&e.offset);
    reader.ReadFixed(&e.position);
    index_.push_back(e);
  }
  return true;
}

void Segment::RemoveFiles() {
  std::error_code ec;
  fs::remove(path_, ec);
  fs::remove(dir_ / IndexFileName(base_), ec);
}

}  // namespace lagoa::log
