// Tests of BatchBuilder and of the batch framing as it lands on disk. The layout checks parse the
// segment file by hand (README.md, "On-disk format") rather than through the log's own decoder,
// so an encoder and decoder that agree with each other but not with the format still fail here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/strong_int.h"
#include "log/log.h"
#include "log/log_test_util.h"

namespace lagoa::log {
namespace {

namespace fs = std::filesystem;
using namespace testing_util;

// Written again here on purpose (batch.cc has its own): expected sizes must not come from the encoder.
size_t VarintBytes(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// A builder holding `items`, in order, at schema version `schema`.
BatchBuilder Build(uint32_t schema, const std::vector<Item>& items) { return TestBatch{schema, items}.Build(); }

// framed_bytes computed from the format description: header, then per record the varint event
// time delta to the batch minimum, the varint payload size and the payload.
uint64_t ExpectedFramedBytes(const std::vector<Item>& items) {
  if (items.empty()) return kHeaderBytes;
  int64_t min_time = items.front().event_time_us;
  for (const Item& item : items) min_time = std::min(min_time, item.event_time_us);
  uint64_t total = kHeaderBytes;
  for (const Item& item : items) {
    total += VarintBytes(static_cast<uint64_t>(item.event_time_us - min_time));
    total += VarintBytes(item.payload.size());
    total += item.payload.size();
  }
  return total;
}

TEST(BatchBuilder, EmptyBuilderIsJustAHeader) {
  BatchBuilder b{SchemaVersion(3)};
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.record_count(), 0u);
  EXPECT_EQ(b.schema_version(), SchemaVersion(3));
  EXPECT_EQ(b.framed_bytes(), kHeaderBytes);
}

TEST(BatchBuilder, CountsRecordsAndFramedBytesFollowTheFormat) {
  std::vector<Item> items;
  BatchBuilder b{SchemaVersion(1)};
  const std::vector<Item> all = {
      {1'700'000'000'000'000, "a"},
      {1'700'000'000'000'000, ""},                       // empty payload: sizes 0, delta 0
      {1'700'000'000'000'100, std::string(127, 'x')},    // size still one varint byte
      {1'700'000'000'000'200, std::string(128, 'y')},    // size needs two varint bytes
      {1'700'000'000'500'000, std::string(20000, 'z')},  // three-byte size, three-byte delta
  };
  for (const Item& item : all) {
    b.Add(item.event_time_us, AsBytes(item.payload));
    items.push_back(item);
    EXPECT_FALSE(b.empty());
    EXPECT_EQ(b.record_count(), items.size());
    EXPECT_EQ(b.framed_bytes(), ExpectedFramedBytes(items)) << "after " << items.size() << " records";
  }
}

TEST(BatchBuilder, FramedBytesFollowTheMinimumEventTimeWhenAnEarlierEventArrives) {
  // Deltas are relative to the batch minimum, so an earlier event makes every other delta larger.
  std::vector<Item> items = {{1'000'000, "late"}, {1'000'050, "later"}};
  BatchBuilder b = Build(1, items);
  EXPECT_EQ(b.framed_bytes(), ExpectedFramedBytes(items));
  items.push_back({0, "early"});
  b.Add(0, AsBytes("early"));
  EXPECT_EQ(b.framed_bytes(), ExpectedFramedBytes(items));
  EXPECT_EQ(b.framed_bytes(), kHeaderBytes + (3 + 1 + 4) + (3 + 1 + 5) + (1 + 1 + 5));
}

TEST(BatchBuilder, NegativeEventTimesAreAllowed) {
  std::vector<Item> items = {{-5'000'000, "before 1970"}, {5'000'000, "after"}};
  BatchBuilder b = Build(2, items);
  EXPECT_EQ(b.record_count(), 2u);
  EXPECT_EQ(b.framed_bytes(), ExpectedFramedBytes(items));
}

// A log at dir_ (acknowledging after fdatasync) with one stream, "orders", of one partition.
class BatchFormatTest : public LogFixture {
 protected:
  void SetUp() override {
    LogFixture::SetUp();
    options_.durability = Durability::kFsync;
    ASSERT_NO_FATAL_FAILURE(Reopen());
    Stream* stream = Create("orders");
    ASSERT_NE(stream, nullptr);
    partition_ = stream->partition(PartitionId(0));
  }

  fs::path SegmentPath() const { return dir_ / "orders" / "0" / "00000000000000000000.log"; }

  Partition* partition_ = nullptr;
};

TEST_F(BatchFormatTest, SingleBatchOnDiskMatchesTheDocumentedLayout) {
  const std::vector<Item> items = {
      {2'000'000, "first"},
      {1'000'000, std::string(200, 'q')},  // the minimum, and a two-byte size varint
      {3'500'000, std::string("\x00\xff\x01", 3)},
  };
  BatchBuilder batch = Build(7, items);
  const uint64_t framed = batch.framed_bytes();
  const int64_t before_us = WallNowMicros();
  auto appended = AppendSync(partition_, std::move(batch));
  const int64_t after_us = WallNowMicros();
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  EXPECT_EQ(appended->first_offset, Offset(0));
  EXPECT_EQ(appended->last_offset, Offset(2));

  EXPECT_TRUE(fs::is_regular_file(dir_ / "orders" / "stream.meta"));
  ASSERT_TRUE(fs::is_regular_file(SegmentPath())) << SegmentPath();
  // The batch is acknowledged after fdatasync, so it is in the file now, without Stop().
  Bytes file = ReadFileBytes(SegmentPath());
  ASSERT_EQ(file.size(), framed);
  ASSERT_GE(file.size(), kHeaderBytes);

  ParsedHeader h = ParseHeader(file.data());
  EXPECT_EQ(h.batch_bytes, framed);
  EXPECT_EQ(h.magic, kMagic);
  EXPECT_EQ(h.record_count, 3u);
  EXPECT_EQ(h.base_offset, 0);
  EXPECT_EQ(h.schema_version, 7u);
  EXPECT_EQ(h.flags, 1u) << "the only batch of its write: flag 1, the first of a write (README.md)";
  EXPECT_GE(h.ingest_time_us, before_us);
  EXPECT_LE(h.ingest_time_us, after_us);
  EXPECT_EQ(h.min_event_time_us, 1'000'000);
  EXPECT_EQ(h.max_event_time_us, 3'500'000);
  EXPECT_EQ(h.crc, BatchCrc(file, 0, h.batch_bytes));

  ByteReader records(std::span<const std::byte>(file).subspan(kHeaderBytes, h.batch_bytes - kHeaderBytes));
  for (const Item& item : items) {
    uint64_t delta = 0;
    uint64_t size = 0;
    std::span<const std::byte> payload;
    ASSERT_TRUE(records.ReadVarint(&delta));
    ASSERT_TRUE(records.ReadVarint(&size));
    ASSERT_TRUE(records.ReadBytes(size, &payload));
    EXPECT_EQ(static_cast<int64_t>(delta), item.event_time_us - 1'000'000);
    EXPECT_EQ(AsStringView(payload), item.payload);
  }
  EXPECT_EQ(records.remaining(), 0u);
}

TEST_F(BatchFormatTest, ConsecutiveBatchesAreBackToBackWithDenseBaseOffsets) {
  const std::vector<std::vector<Item>> batches = {
      {{10, "a"}, {11, "b"}},
      {{20, "c"}},
      {{30, "d"}, {31, "e"}, {32, "f"}, {33, "g"}},
  };
  std::vector<uint64_t> framed;
  for (size_t i = 0; i < batches.size(); ++i) {
    BatchBuilder b = Build(static_cast<uint32_t>(i + 1), batches[i]);
    framed.push_back(b.framed_bytes());
    auto r = AppendSync(partition_, std::move(b));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  Bytes file = ReadFileBytes(SegmentPath());
  uint64_t pos = 0;
  int64_t expected_base = 0;
  for (size_t i = 0; i < batches.size(); ++i) {
    ASSERT_LE(pos + kHeaderBytes, file.size()) << "batch " << i;
    ParsedHeader h = ParseHeader(file.data() + pos);
    EXPECT_EQ(h.batch_bytes, framed[i]) << "batch " << i;
    EXPECT_EQ(h.magic, kMagic) << "batch " << i;
    EXPECT_EQ(h.base_offset, expected_base) << "batch " << i;
    EXPECT_EQ(h.record_count, batches[i].size()) << "batch " << i;
    EXPECT_EQ(h.schema_version, i + 1) << "batch " << i;
    ASSERT_LE(pos + h.batch_bytes, file.size());
    EXPECT_EQ(h.crc, BatchCrc(file, pos, h.batch_bytes)) << "batch " << i;
    pos += h.batch_bytes;
    expected_base += h.record_count;
  }
  EXPECT_EQ(pos, file.size());
  EXPECT_EQ(partition_->next_offset(), Offset(7));
  EXPECT_EQ(partition_->stats().size_bytes, file.size());
}

}  // namespace
}  // namespace lagoa::log
