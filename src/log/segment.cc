#include "log/segment.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

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

std::string IndexFileName(Offset base) { return fmt::format("{:020d}.index", base.value()); }

}  // namespace

std::string SegmentFileName(Offset base) { return fmt::format("{:020d}.log", base.value()); }

std::optional<Offset> ParseSegmentFileName(const fs::path& path) {
  const std::string name = path.filename().string();
  if (name.size() != 24 || !name.ends_with(".log")) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + 20, value);
  if (ec != std::errc() || end != name.data() + 20) return std::nullopt;
  return Offset(value);
}

Segment::Segment(fs::path dir, Offset base, int fd)
    : dir_(std::move(dir)), path_(dir_ / SegmentFileName(base)), base_(base), fd_(fd), end_offset_(base.value()) {}

Segment::~Segment() { ::close(fd_); }

Result<std::shared_ptr<Segment>> Segment::Create(const fs::path& dir, Offset base) {
  fs::path path = dir / SegmentFileName(base);
  Result<int> fd = OpenFile(path, O_RDWR | O_CREAT | O_EXCL | O_APPEND);
  if (!fd.ok()) return fd.status().WithContext("creating a segment");
  std::shared_ptr<Segment> segment(new Segment(dir, base, *fd));
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
  Offset from_offset = base;
  if (segment->LoadIndex() && !segment->index_.empty()) {
    from = segment->index_.back().position;
    from_offset = Offset(segment->index_.back().offset);
    segment->index_.pop_back();  // WalkHeaders notes it again
  } else {
    segment->index_.clear();
  }
  LAGOA_RETURN_IF_ERROR(segment->WalkHeaders(from, from_offset, static_cast<uint64_t>(file_bytes)));
  return segment;
}

Status Segment::WalkHeaders(uint64_t position, Offset offset, uint64_t file_bytes) {
  Bytes header;
  Offset end = offset;
  int64_t max_ingest = 0;
  while (position < file_bytes) {
    LAGOA_RETURN_IF_ERROR(ReadAt(position, kBatchHeaderBytes, header));
    auto parsed = BatchFraming::ParseHeader(header);
    if (!parsed.ok() || position + parsed->batch_bytes > file_bytes || parsed->base_offset != end) {
      // A damaged header: check the whole file to find where its good batches resume.
      LAGOA_ASSIGN_OR_RETURN(SegmentLayout layout, ScanSegment(path_, base_));
      Adopt(layout, /*truncate=*/false);
      return Status::Ok();
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
  LAGOA_ASSIGN_OR_RETURN(const int fd, OpenFile(path, O_RDWR | O_APPEND));
  std::shared_ptr<Segment> segment(new Segment(dir, base, fd));
  LAGOA_ASSIGN_OR_RETURN(SegmentLayout layout, ScanSegment(path, base));
  *truncated_bytes = layout.file_bytes - layout.kept_bytes();
  if (*truncated_bytes > 0) {
    const DamagedBytes& torn = layout.damage[layout.torn_from];
    spdlog::warn(
        "log: {}: a torn last write at byte {} ({}); truncating {} bytes (offsets from {} were never "
        "acknowledged)",
        path.string(), torn.begin_byte, torn.what, *truncated_bytes, torn.first_offset.value());
    LAGOA_RETURN_IF_ERROR(TruncateFile(fd, layout.kept_bytes(), path));
    LAGOA_RETURN_IF_ERROR(SyncFile(fd, path));
  }
  segment->Adopt(layout, /*truncate=*/true);
  return segment;
}

void Segment::Adopt(const SegmentLayout& layout, bool truncate) {
  const size_t damaged = truncate ? layout.torn_from : layout.damage.size();
  damage_.assign(layout.damage.begin(), layout.damage.begin() + static_cast<std::ptrdiff_t>(damaged));
  const uint64_t kept_bytes = truncate ? layout.kept_bytes() : layout.file_bytes;
  Offset end = base_;
  int64_t max_ingest = 0;
  {
    std::lock_guard lock(index_mu_);
    index_.clear();
    for (const GoodRun& run : layout.runs) {
      if (run.begin_byte >= kept_bytes) break;
      for (const auto& [offset, position] : run.index) index_.push_back({offset.value(), position});
      end = run.end_offset;
      max_ingest = std::max(max_ingest, run.max_ingest_time_us);
    }
  }
  for (const DamagedBytes& d : damage_) {
    spdlog::error(
        "log: {}: damaged batches at {}; they are never served and the partition takes no writes until "
        "`lagoa log repair`",
        path_.string(), DescribeDamage(d));
  }
  write_size_ = kept_bytes;
  size_bytes_.store(kept_bytes, std::memory_order_release);
  Publish(end, max_ingest);
}

const DamagedBytes* Segment::DamageAt(Offset offset) const {
  for (const DamagedBytes& d : damage_) {
    if (offset >= d.first_offset && (!d.end_offset || offset < *d.end_offset)) return &d;
  }
  return nullptr;
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

Status Segment::Sync() { return SyncFile(fd_, path_); }

Status Segment::TruncateTo(uint64_t size_bytes) {
  LAGOA_ASSERT(size_bytes >= size_bytes_.load(std::memory_order_acquire));
  LAGOA_RETURN_IF_ERROR(TruncateFile(fd_, size_bytes, path_));
  LAGOA_RETURN_IF_ERROR(SyncFile(fd_, path_));
  write_size_ = size_bytes;
  std::lock_guard lock(index_mu_);
  while (!index_.empty() && index_.back().position >= size_bytes) index_.pop_back();
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
