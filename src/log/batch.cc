#include "log/batch.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "base/assert.h"
#include "base/crc32c.h"

namespace lagoa::log {
namespace {

size_t VarintBytes(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

}  // namespace

BatchBuilder BatchBuilder::GapTo(Offset next) {
  BatchBuilder batch{SchemaVersion(0)};
  batch.gap_to_ = next;
  return batch;
}

void BatchBuilder::Add(int64_t event_time_us, std::span<const std::byte> record) {
  LAGOA_ASSERT(!gap());
  LAGOA_ASSERT(record.size() <= std::numeric_limits<uint32_t>::max());
  event_times_us_.push_back(event_time_us);
  sizes_.push_back(static_cast<uint32_t>(record.size()));
  PutBytes(payload_, record);
}

void BatchBuilder::set_producer_key(std::string key) {
  LAGOA_ASSERT(!key.empty() && key.size() <= kProducerKeyBytesMax);
  producer_key_ = std::move(key);
}

uint64_t BatchBuilder::framed_bytes() const { return BatchFraming::FramedBytes(*this); }

uint64_t BatchFraming::FramedBytes(const BatchBuilder& batch) {
  if (batch.empty() || batch.gap()) return kBatchHeaderBytes;
  int64_t min_time = *std::min_element(batch.event_times_us_.begin(), batch.event_times_us_.end());
  uint64_t bytes = kBatchHeaderBytes + batch.payload_.size();
  for (size_t i = 0; i < batch.sizes_.size(); ++i) {
    bytes += VarintBytes(static_cast<uint64_t>(batch.event_times_us_[i]) - static_cast<uint64_t>(min_time));
    bytes += VarintBytes(batch.sizes_[i]);
  }
  return bytes;
}

void BatchFraming::Frame(const BatchBuilder& batch, Offset base_offset, int64_t ingest_time_us, uint32_t flags,
                         Bytes& out) {
  LAGOA_ASSERT(!batch.empty());
  const size_t start = out.size();
  out.resize(start + kBatchHeaderBytes);
  int64_t min_time = 0;
  int64_t max_time = 0;
  uint32_t record_count = batch.record_count();
  if (batch.gap()) {
    const int64_t skipped = batch.gap_to().value() - base_offset.value();
    LAGOA_ASSERT(skipped > 0 && skipped <= std::numeric_limits<uint32_t>::max());
    record_count = static_cast<uint32_t>(skipped);
    flags |= kBatchFlagGap;
  } else {
    const auto [min_it, max_it] = std::minmax_element(batch.event_times_us_.begin(), batch.event_times_us_.end());
    min_time = *min_it;
    max_time = *max_it;
    size_t payload_at = 0;
    for (size_t i = 0; i < batch.sizes_.size(); ++i) {
      // Unsigned difference: well defined for any pair of int64 times, and min_time is the smallest.
      PutVarint(out, static_cast<uint64_t>(batch.event_times_us_[i]) - static_cast<uint64_t>(min_time));
      PutVarint(out, batch.sizes_[i]);
      PutBytes(out, std::span(batch.payload_).subspan(payload_at, batch.sizes_[i]));
      payload_at += batch.sizes_[i];
    }
  }
  const uint64_t batch_bytes = out.size() - start;
  LAGOA_ASSERT(batch_bytes <= kBatchBytesMax);
  std::byte* h = out.data() + start;
  StoreFixed<uint32_t>(h + 0, static_cast<uint32_t>(batch_bytes));
  StoreFixed<uint32_t>(h + 8, kBatchMagic);
  StoreFixed<uint32_t>(h + 12, record_count);
  StoreFixed<int64_t>(h + 16, base_offset.value());
  StoreFixed<uint32_t>(h + 24, batch.schema_version().value());
  StoreFixed<uint32_t>(h + 28, flags);
  StoreFixed<int64_t>(h + 32, ingest_time_us);
  StoreFixed<int64_t>(h + 40, min_time);
  StoreFixed<int64_t>(h + 48, max_time);
  StoreFixed<uint32_t>(h + 4, Crc32c(std::span<const std::byte>(h + 8, batch_bytes - 8)));
}

Result<BatchHeader> BatchFraming::ParseHeader(std::span<const std::byte> bytes) {
  if (bytes.size() < kBatchHeaderBytes) {
    return Status::Corruption(
        fmt::format("{} bytes where a {}-byte batch header was expected", bytes.size(), kBatchHeaderBytes));
  }
  const std::byte* h = bytes.data();
  BatchHeader header;
  header.batch_bytes = LoadFixed<uint32_t>(h + 0);
  header.crc = LoadFixed<uint32_t>(h + 4);
  const auto magic = LoadFixed<uint32_t>(h + 8);
  header.record_count = LoadFixed<uint32_t>(h + 12);
  header.base_offset = Offset(LoadFixed<int64_t>(h + 16));
  header.schema_version = SchemaVersion(LoadFixed<uint32_t>(h + 24));
  header.flags = LoadFixed<uint32_t>(h + 28);
  header.ingest_time_us = LoadFixed<int64_t>(h + 32);
  header.min_event_time_us = LoadFixed<int64_t>(h + 40);
  header.max_event_time_us = LoadFixed<int64_t>(h + 48);
  if (magic != kBatchMagic) {
    return Status::Corruption(fmt::format("batch magic is {:#010x}, expected {:#010x}", magic, kBatchMagic));
  }
  // Every record takes at least two bytes (two varints), so the count is bounded by the size; a
  // gap is a header alone.
  const bool sizes_fit = header.gap()
                             ? header.batch_bytes == kBatchHeaderBytes
                             : header.batch_bytes >= kBatchHeaderBytes && header.batch_bytes <= kBatchBytesMax &&
                                   header.record_count <= (header.batch_bytes - kBatchHeaderBytes) / 2;
  if (!sizes_fit || header.record_count == 0 || header.base_offset.value() < 0 ||
      header.base_offset.value() > std::numeric_limits<int64_t>::max() - header.record_count) {
    return Status::Corruption(fmt::format("impossible batch header: {} bytes, {} records, base offset {}",
                                          header.batch_bytes, header.record_count, header.base_offset.value()));
  }
  return header;
}

bool BatchFraming::VerifyCrc(const BatchHeader& header, std::span<const std::byte> batch) {
  LAGOA_ASSERT(batch.size() == header.batch_bytes);
  return Crc32c(batch.subspan(8)) == header.crc;
}

Status BatchFraming::DecodeRecords(const BatchHeader& header, std::span<const std::byte> batch, Offset from,
                                   std::vector<ReadRecord>& out) {
  if (header.gap()) return Status::Ok();
  ByteReader reader(batch.subspan(kBatchHeaderBytes));
  for (uint32_t i = 0; i < header.record_count; ++i) {
    uint64_t time_delta = 0, size = 0;
    std::span<const std::byte> payload;
    if (!reader.ReadVarint(&time_delta) || !reader.ReadVarint(&size) || !reader.ReadBytes(size, &payload)) {
      return Status::Corruption(fmt::format("batch at offset {}: record {} of {} runs past the batch's end",
                                            header.base_offset.value(), i, header.record_count));
    }
    Offset offset = header.base_offset + i;
    if (offset < from) continue;
    ReadRecord record;
    record.offset = offset;
    record.schema_version = header.schema_version;
    record.event_time_us = static_cast<int64_t>(static_cast<uint64_t>(header.min_event_time_us) + time_delta);
    record.ingest_time_us = header.ingest_time_us;
    record.payload = payload;
    out.push_back(record);
  }
  if (reader.remaining() != 0) {
    return Status::Corruption(fmt::format("batch at offset {}: {} bytes after its last record",
                                          header.base_offset.value(), reader.remaining()));
  }
  return Status::Ok();
}

}  // namespace lagoa::log
