// Tests of BatchBuilder and of the batch framing as it lands on disk. The layout checks parse the
// segment file by hand (README.md, "On-disk format") rather than through the log's own decoder,
// so an encoder and decoder that agree with each other but not with the format still fail here.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/crc32c.h"
#include "base/status.h"
#include "base/strong_int.h"
#include "log/log.h"

namespace lagoa::log {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr uint64_t kHeaderBytes = 56;
constexpr uint32_t kMagic = 0x3142474C;

size_t VarintBytes(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

struct Item {
  int64_t event_time_us;
  std::string payload;
};

BatchBuilder Build(uint32_t schema, const std::vector<Item>& items) {
  BatchBuilder b{SchemaVersion(schema)};
  for (const Item& item : items) b.Add(item.event_time_us, AsBytes(item.payload));
  return b;
}

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

fs::path TestDir() {
  const char* base = std::getenv("LAGOA_TEST_TMPDIR");
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return fs::path(base != nullptr && *base != '\0' ? base : "/tmp") /
         ("lagoa-log-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "." + info->name());
}

Bytes ReadFileBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Bytes out(chars.size());
  std::transform(chars.begin(), chars.end(), out.begin(), [](char c) { return static_cast<std::byte>(c); });
  return out;
}

Result<AppendResult> AppendSync(Partition* p, BatchBuilder&& batch) {
  auto promise = std::make_shared<std::promise<Result<AppendResult>>>();
  auto future = promise->get_future();
  p->Append(std::move(batch), [promise](Result<AppendResult> r) { promise->set_value(std::move(r)); });
  if (future.wait_for(10s) != std::future_status::ready) {
    return Status::Internal("the append callback did not run within 10 s");
  }
  return future.get();
}

// The header fields of one batch, parsed by hand.
struct ParsedHeader {
  uint32_t batch_bytes = 0;
  uint32_t crc = 0;
  uint32_t magic = 0;
  uint32_t record_count = 0;
  int64_t base_offset = 0;
  uint32_t schema_version = 0;
  uint32_t flags = 0;
  int64_t ingest_time_us = 0;
  int64_t min_event_time_us = 0;
  int64_t max_event_time_us = 0;
};

ParsedHeader ParseHeader(const std::byte* at) {
  ParsedHeader h;
  h.batch_bytes = LoadFixed<uint32_t>(at + 0);
  h.crc = LoadFixed<uint32_t>(at + 4);
  h.magic = LoadFixed<uint32_t>(at + 8);
  h.record_count = LoadFixed<uint32_t>(at + 12);
  h.base_offset = LoadFixed<int64_t>(at + 16);
  h.schema_version = LoadFixed<uint32_t>(at + 24);
  h.flags = LoadFixed<uint32_t>(at + 28);
  h.ingest_time_us = LoadFixed<int64_t>(at + 32);
  h.min_event_time_us = LoadFixed<int64_t>(at + 40);
  h.max_event_time_us = LoadFixed<int64_t>(at + 48);
  return h;
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
      {1'700'000'000'000'000, ""},                    // empty payload: sizes 0, delta 0
      {1'700'000'000'000'100, std::string(127, 'x')},  // size still one varint byte
      {1'700'000'000'000'200, std::string(128, 'y')},  // size needs two varint bytes
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

class BatchFormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TestDir();
    fs::remove_all(dir_);
    LogOptions options;
    options.dir = dir_;
    options.durability = Durability::kFsync;
    options.free_space_min_bytes = 0;
    options.free_space_min_percent = 0;
    auto opened = Log::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    log_ = std::move(opened).value();
    ASSERT_TRUE(log_->Start().ok());
    auto stream = log_->CreateStream("orders", StreamOptions{});
    ASSERT_TRUE(stream.ok()) << stream.status().ToString();
    partition_ = (*stream)->partition(PartitionId(0));
  }

  void TearDown() override {
    if (log_) log_->Stop();
    log_.reset();
    fs::remove_all(dir_);
  }

  fs::path SegmentPath() const { return dir_ / "orders" / "0" / "00000000000000000000.log"; }

  fs::path dir_;
  std::unique_ptr<Log> log_;
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
  EXPECT_EQ(h.flags, 0u);
  EXPECT_GE(h.ingest_time_us, before_us);
  EXPECT_LE(h.ingest_time_us, after_us);
  EXPECT_EQ(h.min_event_time_us, 1'000'000);
  EXPECT_EQ(h.max_event_time_us, 3'500'000);
  EXPECT_EQ(h.crc, Crc32c(std::span<const std::byte>(file).subspan(8, h.batch_bytes - 8)));

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
    EXPECT_EQ(h.crc, Crc32c(std::span<const std::byte>(file).subspan(pos + 8, h.batch_bytes - 8))) << "batch " << i;
    pos += h.batch_bytes;
    expected_base += h.record_count;
  }
  EXPECT_EQ(pos, file.size());
  EXPECT_EQ(partition_->next_offset(), Offset(7));
  EXPECT_EQ(partition_->stats().size_bytes, file.size());
}

}  // namespace
}  // namespace lagoa::log
