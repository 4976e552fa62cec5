#include "log/segment_scan.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <span>

#include <fmt/format.h>

#include "base/bytes.h"
#include "log/batch.h"

namespace lagoa::log {
namespace {

namespace fs = std::filesystem;

// A file mapped read-only for one scan.
// Lifecycle: Open() maps, the destructor unmaps and closes. Threads: the scanning thread only.
class MappedFile {
 public:
  static Result<MappedFile> Open(const fs::path& path) {
    MappedFile file;
    file.fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (file.fd_ < 0) return Status::FromErrno("open " + path.string(), errno);
    struct stat st {};
    if (::fstat(file.fd_, &st) != 0) return Status::FromErrno("stat " + path.string(), errno);
    file.size_ = static_cast<size_t>(st.st_size);
    if (file.size_ > 0) {
      void* at = ::mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, file.fd_, 0);
      if (at == MAP_FAILED) return Status::FromErrno("map " + path.string(), errno);
      file.data_ = static_cast<const std::byte*>(at);
      ::madvise(at, file.size_, MADV_SEQUENTIAL);
    }
    return file;
  }
  MappedFile(MappedFile&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), data_(std::exchange(other.data_, nullptr)), size_(other.size_) {}
  MappedFile& operator=(MappedFile&&) = delete;
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
    if (fd_ >= 0) ::close(fd_);
  }
  std::span<const std::byte> bytes() const { return {data_, size_}; }

 private:
  MappedFile() = default;
  int fd_ = -1;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

// The batch at `position` when it is whole and passes its CRC; otherwise what is wrong with it.
Result<BatchHeader> CheckBatch(std::span<const std::byte> file, uint64_t position) {
  std::span<const std::byte> rest = file.subspan(position);
  if (rest.size() < kBatchHeaderBytes) return Status::Corruption("a batch header cut short by the file's end");
  LAGOA_ASSIGN_OR_RETURN(BatchHeader header, BatchFraming::ParseHeader(rest));
  if (header.batch_bytes > rest.size()) {
    return Status::Corruption(
        fmt::format("a batch of {} bytes runs past the file's end ({} bytes left)", header.batch_bytes, rest.size()));
  }
  if (!BatchFraming::VerifyCrc(header, rest.first(header.batch_bytes))) {
    return Status::Corruption("the batch fails its CRC");
  }
  return header;
}

// The first position after `from` holding a good batch that starts at or after `expected`.
std::optional<uint64_t> FindNextGoodBatch(std::span<const std::byte> file, uint64_t from, Offset expected) {
  std::byte magic[4];
  StoreFixed<uint32_t>(magic, kBatchMagic);
  // The magic sits 8 bytes into a header.
  for (uint64_t at = from; at + kBatchHeaderBytes <= file.size(); ++at) {
    const auto* found =
        static_cast<const std::byte*>(::memmem(file.data() + at + 8, file.size() - at - 8, magic, sizeof magic));
    if (found == nullptr) return std::nullopt;
    at = static_cast<uint64_t>(found - file.data()) - 8;
    if (at + kBatchHeaderBytes > file.size()) return std::nullopt;
    // The header's own tests before the CRC, which reads the whole batch.
    auto header = BatchFraming::ParseHeader(file.subspan(at));
    if (!header.ok() || header->base_offset < expected || header->batch_bytes > file.size() - at) continue;
    if (BatchFraming::VerifyCrc(*header, file.subspan(at, header->batch_bytes))) return at;
  }
  return std::nullopt;
}

}  // namespace

Result<SegmentLayout> ScanSegment(const fs::path& path, Offset base) {
  LAGOA_ASSIGN_OR_RETURN(MappedFile mapped, MappedFile::Open(path));
  return ScanSegmentBytes(mapped.bytes(), base);
}

SegmentLayout ScanSegmentBytes(std::span<const std::byte> file, Offset base) {
  SegmentLayout layout;
  layout.file_bytes = file.size();
  uint64_t position = 0;
  Offset expected = base;
  GoodRun* run = nullptr;
  while (position < file.size()) {
    auto header = CheckBatch(file, position);
    if (header.ok() && header->base_offset != expected) {
      header = Status::Corruption(fmt::format("a batch starts at offset {} where {} was expected",
                                              header->base_offset.value(), expected.value()));
    }
    if (header.ok()) {
      if (run == nullptr) {
        run = &layout.runs.emplace_back();
        run->begin_byte = position;
        run->first_offset = expected;
      }
      if (run->index.empty() || position - run->index.back().second >= kIndexIntervalBytes) {
        run->index.emplace_back(header->base_offset, position);
      }
      run->has_write_start = run->has_write_start || header->write_start();
      if (header->gap()) ++layout.gap_batches;
      run->max_ingest_time_us = std::max(run->max_ingest_time_us, header->ingest_time_us);
      position += header->batch_bytes;
      expected = header->end_offset();
      run->end_byte = position;
      run->end_offset = expected;
      continue;
    }
    run = nullptr;
    DamagedBytes& damage = layout.damage.emplace_back();
    damage.begin_byte = position;
    damage.first_offset = expected;
    damage.what = std::string(header.status().message());
    std::optional<uint64_t> next = FindNextGoodBatch(file, position + 1, expected);
    damage.end_byte = next.value_or(file.size());
    if (!next) break;
    expected = BatchFraming::ParseHeader(file.subspan(*next))->base_offset;
    damage.end_offset = expected;
    position = *next;
  }
  // Only the bytes after the last write's first batch can be torn: every earlier write was synced
  // before the next one began.
  layout.torn_from = layout.damage.size();
  for (size_t d = layout.damage.size(); d-- > 0;) {
    const bool write_follows = std::any_of(layout.runs.begin(), layout.runs.end(), [&](const GoodRun& r) {
      return r.begin_byte >= layout.damage[d].end_byte && r.has_write_start;
    });
    if (write_follows) break;
    layout.torn_from = d;
  }
  return layout;
}

std::string DescribeDamage(const DamagedBytes& damage) {
  std::string offsets =
      damage.end_offset ? fmt::format("offsets {} to {}", damage.first_offset.value(), damage.end_offset->value() - 1)
                        : fmt::format("offsets from {}", damage.first_offset.value());
  if (damage.end_offset && *damage.end_offset == damage.first_offset) offsets = "no offset";
  return fmt::format("{} (bytes {} to {}): {}", offsets, damage.begin_byte, damage.end_byte - 1, damage.what);
}

}  // namespace lagoa::log
