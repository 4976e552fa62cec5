// Crash-recovery tests: write batches through the log, stop it, damage the files the way a crash, a
// torn write or a bad disk would, reopen and check that (a) a torn last write is cut off and appends
// continue at the right offset, (b) damage that a torn write does not explain (a bad batch before
// the last write's first batch) is never truncated or served: the partition refuses writes and
// every other offset stays readable, and (c) nothing damaged is ever served. Batch boundaries come
// from parsing the segment files by hand (README.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strong_int.h"
#include "log/log.h"
#include "log/log_test_util.h"

namespace lagoa::log {
namespace {

namespace fs = std::filesystem;
using namespace testing_util;

constexpr int kRecordsPerBatch = 4;

// ---------------------------------------------------------------------------------------------
// Files

void WriteFileBytes(const fs::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

void FlipByte(const fs::path& path, uint64_t pos) {
  Bytes bytes = ReadFileBytes(path);
  ASSERT_LT(pos, bytes.size()) << path;
  bytes[pos] ^= std::byte{0x40};
  WriteFileBytes(path, bytes);
}

void AppendToFile(const fs::path& path, const Bytes& tail) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out.write(reinterpret_cast<const char*>(tail.data()), static_cast<std::streamsize>(tail.size()));
}

// One batch as found on disk.
struct DiskBatch {
  fs::path file;
  uint64_t pos;
  uint32_t bytes;
  int64_t base;
  uint32_t count;
};

// Parses every batch of every segment of a partition directory, checking framing and CRC.
std::vector<DiskBatch> ScanPartition(const fs::path& dir) {
  std::vector<DiskBatch> out;
  for (const SegmentFile& segment : SegmentFiles(dir)) {
    const fs::path& file = segment.path;
    Bytes data = ReadFileBytes(file);
    uint64_t pos = 0;
    while (pos + kHeaderBytes <= data.size()) {
      const ParsedHeader h = ParseHeader(data.data() + pos);
      DiskBatch b{file, pos, h.batch_bytes, h.base_offset, h.record_count};
      EXPECT_EQ(h.magic, kMagic) << file << " @" << pos;
      if (b.bytes < kHeaderBytes || pos + b.bytes > data.size()) break;
      EXPECT_EQ(h.crc, BatchCrc(data, pos, b.bytes)) << file << " @" << pos;
      out.push_back(b);
      pos += b.bytes;
    }
    EXPECT_EQ(pos, data.size()) << "trailing bytes in " << file;
  }
  return out;
}

// Rewrites the header of the batch `victim` through `change` and stamps a CRC that matches again,
// so that only the changed field is wrong.
void RewriteHeaderWithValidCrc(const DiskBatch& victim, const std::function<void(std::byte* header)>& change) {
  Bytes bytes = ReadFileBytes(victim.file);
  std::byte* h = bytes.data() + victim.pos;
  change(h);
  StoreFixed<uint32_t>(h + 4, BatchCrc(bytes, victim.pos, victim.bytes));
  WriteFileBytes(victim.file, bytes);
}

// ---------------------------------------------------------------------------------------------
// Expected content and reading

struct Expected {
  uint32_t schema;
  int64_t event_time_us;
  std::string payload;
};

// `records` must be exactly offsets [from, from + records.size()) of `expected`, and end at `end`
// unless `end` is negative (a prefix of any length).
void ExpectRecords(const std::vector<Rec>& records, const std::vector<Expected>& expected, int64_t from, int64_t end) {
  if (end >= 0) {
    ASSERT_EQ(static_cast<int64_t>(records.size()), end - from) << "reading from " << from;
  }
  for (size_t i = 0; i < records.size(); ++i) {
    const Rec& r = records[i];
    ASSERT_EQ(r.offset, from + static_cast<int64_t>(i)) << "offsets are not dense";
    ASSERT_LT(r.offset, static_cast<int64_t>(expected.size())) << "an offset that was never written";
    const Expected& e = expected[static_cast<size_t>(r.offset)];
    ASSERT_EQ(r.payload, e.payload) << "offset " << r.offset;
    ASSERT_EQ(r.schema, e.schema) << "offset " << r.offset;
    ASSERT_EQ(r.event_time_us, e.event_time_us) << "offset " << r.offset;
  }
}

// Appends one batch of kRecordsPerBatch records tagged `tag`, recording it in `expected`.
void AppendTagged(Partition* p, const std::string& tag, size_t pad, std::vector<Expected>* expected) {
  const uint32_t schema = 1 + static_cast<uint32_t>(expected->size() / kRecordsPerBatch % 2);
  BatchBuilder b{SchemaVersion(schema)};
  std::vector<Expected> added;
  for (int j = 0; j < kRecordsPerBatch; ++j) {
    std::string payload = tag + "/rec" + std::to_string(j) + "/";
    payload.resize(std::max(payload.size(), pad), static_cast<char>('a' + j));
    int64_t event_time = 1'700'000'000'000'000 + static_cast<int64_t>(expected->size()) * 1000 + j;
    b.Add(event_time, AsBytes(payload));
    added.push_back({schema, event_time, payload});
  }
  auto r = AppendSync(p, std::move(b));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->first_offset, Offset(static_cast<int64_t>(expected->size())));
  expected->insert(expected->end(), added.begin(), added.end());
}

// ---------------------------------------------------------------------------------------------
// Fixture

// Logs at dir_ or below it (one root per case when a test loops), with a stream "events" written
// through the log and then damaged on disk between a stop and a reopen.
class RecoveryTest : public LogFixture {
 protected:
  // Opens and starts the log at `root`, stopping a previous one first.
  void OpenLog(const fs::path& root, uint64_t segment_bytes_max = 128ull << 20) {
    options_.dir = root;
    options_.segment_bytes_max = segment_bytes_max;
    Reopen();
  }

  Partition* Events(int partition = 0) {
    Stream* s = log_->FindStream("events");
    EXPECT_NE(s, nullptr) << "the stream did not survive the reopen";
    return s == nullptr ? nullptr : s->partition(PartitionId(partition));
  }

  // Writes `batches` batches (one append each, acknowledged) to a fresh log at `root`, stops it and
  // parses what landed on disk.
  void WriteAndStop(const fs::path& root, int batches, uint64_t segment_bytes_max = 128ull << 20) {
    expected_.clear();
    ASSERT_NO_FATAL_FAILURE(OpenLog(root, segment_bytes_max));
    auto s = log_->CreateStream("events", StreamOptions{});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    for (int i = 0; i < batches; ++i) {
      ASSERT_NO_FATAL_FAILURE(AppendTagged(Events(), "batch" + std::to_string(i), 30, &expected_));
    }
    CloseLog();
    disk_ = ScanPartition(PartitionDir("events"));  // options_.dir is still `root`
    ASSERT_EQ(disk_.size(), static_cast<size_t>(batches));
  }

  // Reopens `root` after damage and checks that exactly the first `kept` batches survived, that the
  // damaged file was cut to `file_bytes`, and that appends continue at the next offset (also
  // across one more reopen).
  void ExpectRecovered(const fs::path& root, size_t kept, const fs::path& damaged_file, uint64_t file_bytes,
                       uint64_t segment_bytes_max = 128ull << 20) {
    ASSERT_NO_FATAL_FAILURE(OpenLog(root, segment_bytes_max));
    const int64_t next = kept == 0 ? 0 : disk_[kept - 1].base + disk_[kept - 1].count;
    Partition* p = Events();
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->next_offset(), Offset(next));
    if (file_bytes == 0 && !fs::exists(damaged_file)) {
      // Removing an empty segment is as good as keeping it.
    } else {
      EXPECT_EQ(fs::file_size(damaged_file), file_bytes) << "the damaged tail was not truncated: " << damaged_file;
    }
    EXPECT_FALSE(log_->failed());

    ReadOutcome read = ReadAll(p, Offset(0));
    ASSERT_TRUE(read.status.ok()) << read.status.ToString();
    ASSERT_NO_FATAL_FAILURE(ExpectRecords(read.records, expected_, 0, next));

    std::vector<Expected> expected(expected_.begin(), expected_.begin() + next);
    ASSERT_NO_FATAL_FAILURE(AppendTagged(p, "after-recovery", 30, &expected));
    ASSERT_NO_FATAL_FAILURE(OpenLog(root, segment_bytes_max));
    p = Events();
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->next_offset(), Offset(next + kRecordsPerBatch));
    read = ReadAll(p, Offset(0));
    ASSERT_TRUE(read.status.ok()) << read.status.ToString();
    ASSERT_NO_FATAL_FAILURE(ExpectRecords(read.records, expected, 0, next + kRecordsPerBatch));
    CloseLog();
  }

  // Reopens `root` after damage to batch `victim` that a torn write does not explain and checks
  // that nothing was truncated (batches up to `last_kept`, default all, are kept), that appends
  // fail naming the file and the repair, and that every offset but the victim's reads back — also
  // after one more reopen.
  void ExpectDamaged(const fs::path& root, size_t victim, size_t last_kept = SIZE_MAX) {
    if (last_kept == SIZE_MAX) last_kept = disk_.size() - 1;
    for (int round = 0; round < 2; ++round) {
      SCOPED_TRACE("open " + std::to_string(round + 1));
      ASSERT_NO_FATAL_FAILURE(OpenLog(root));
      Partition* p = Events();
      ASSERT_NE(p, nullptr);
      const int64_t end = disk_[last_kept].base + disk_[last_kept].count;
      const DiskBatch& bad = disk_[victim];
      EXPECT_EQ(p->next_offset(), Offset(end)) << "acknowledged batches after the damage were dropped";
      EXPECT_EQ(fs::file_size(bad.file), disk_[last_kept].pos + disk_[last_kept].bytes);

      BatchBuilder more{SchemaVersion(1)};
      more.Add(1, AsBytes(std::string("refused")));
      auto appended = AppendSync(p, std::move(more));
      EXPECT_EQ(appended.status().code(), StatusCode::kUnavailable) << appended.status().ToString();
      EXPECT_NE(appended.status().message().find(bad.file.filename().string()), std::string::npos)
          << appended.status().ToString();
      EXPECT_NE(appended.status().message().find(fmt::format("offsets {} to", bad.base)), std::string::npos)
          << appended.status().ToString();
      EXPECT_NE(appended.status().message().find("lagoa log repair"), std::string::npos)
          << appended.status().ToString();

      // Up to the damage, then Corruption naming the offsets.
      ReadOutcome read = ReadAll(p, Offset(0), 1);
      EXPECT_EQ(read.status.code(), StatusCode::kCorruption) << read.status.ToString();
      ASSERT_NO_FATAL_FAILURE(ExpectRecords(read.records, expected_, 0, bad.base));
      EXPECT_NE(read.status.message().find(bad.file.filename().string()), std::string::npos) << read.status.ToString();
      // Inside the damaged batch: nothing.
      for (int64_t from : {bad.base, bad.base + 1}) {
        read = ReadAll(p, Offset(from));
        EXPECT_EQ(read.status.code(), StatusCode::kCorruption) << "from " << from << ": " << read.status.ToString();
        EXPECT_TRUE(read.records.empty()) << "from " << from;
      }
      // After it: everything, with small and large reads.
      const int64_t after = disk_[victim + 1].base;
      for (size_t max_bytes : {size_t{1}, size_t{1} << 20}) {
        read = ReadAll(p, Offset(after), max_bytes);
        ASSERT_TRUE(read.status.ok()) << read.status.ToString();
        ASSERT_NO_FATAL_FAILURE(ExpectRecords(read.records, expected_, after, end));
      }
      CloseLog();
    }
  }

  std::vector<Expected> expected_;  // by offset, as written before the damage
  std::vector<DiskBatch> disk_;     // the batches on disk before the damage
};

// ---------------------------------------------------------------------------------------------
// Damage to the last segment: truncated at the first bad batch

TEST_F(RecoveryTest, TruncatesTornTailAndKeepsAcknowledgedBatches) {
  // Cut inside the last batch's size field, CRC, header, right after the header, in the records
  // and one byte short of its end.
  for (uint64_t cut : {1u, 5u, 20u, 55u, 56u, 57u, 100u}) {
    SCOPED_TRACE("cut " + std::to_string(cut) + " bytes into the last batch");
    const fs::path root = dir_ / ("cut" + std::to_string(cut));
    ASSERT_NO_FATAL_FAILURE(WriteAndStop(root, 6));
    const DiskBatch last = disk_.back();
    ASSERT_LT(cut, last.bytes);
    fs::resize_file(last.file, last.pos + cut);
    ASSERT_NO_FATAL_FAILURE(ExpectRecovered(root, 5, last.file, last.pos));
  }
  SCOPED_TRACE("one byte short");
  const fs::path root = dir_ / "short1";
  ASSERT_NO_FATAL_FAILURE(WriteAndStop(root, 6));
  fs::resize_file(disk_.back().file, fs::file_size(disk_.back().file) - 1);
  ASSERT_NO_FATAL_FAILURE(ExpectRecovered(root, 5, disk_.back().file, disk_.back().pos));
}

TEST_F(RecoveryTest, DropsTheLastBatchWhenItsPayloadFailsTheCrc) {
  ASSERT_NO_FATAL_FAILURE(WriteAndStop(dir_, 6));
  const DiskBatch last = disk_.back();
  ASSERT_NO_FATAL_FAILURE(FlipByte(last.file, last.pos + last.bytes - 3));
  ASSERT_NO_FATAL_FAILURE(ExpectRecovered(dir_, 5, last.file, last.pos));
}

TEST_F(RecoveryTest, CorruptMiddleBatchOfTheLastSegmentStopsWritesAndKeepsEverythingElse) {
  // The probe in issue 13: a flipped byte in the middle of the active segment used to truncate
  // every acknowledged batch after it.
  ASSERT_NO_FATAL_FAILURE(WriteAndStop(dir_, 6));
  ASSERT_NO_FATAL_FAILURE(FlipByte(disk_[2].file, disk_[2].pos + kHeaderBytes + 10));
  ASSERT_NO_FATAL_FAILURE(ExpectDamaged(dir_, 2));
}

TEST_F(RecoveryTest, DamageToAnyHeaderFieldOfAnEarlierWriteIsCorruption) {
  // batch_bytes, crc, magic, record_count, base_offset, schema_version, flags, ingest time, min
  // and max event time.
  for (uint64_t field : {0u, 4u, 8u, 12u, 16u, 24u, 28u, 32u, 40u, 48u}) {
    SCOPED_TRACE("header byte " + std::to_string(field));
    const fs::path root = dir_ / ("field" + std::to_string(field));
    ASSERT_NO_FATAL_FAILURE(WriteAndStop(root, 5));
    ASSERT_NO_FATAL_FAILURE(FlipByte(disk_[3].file, disk_[3].pos + field));
    ASSERT_NO_FATAL_FAILURE(ExpectDamaged(root, 3));
  }
}

TEST_F(RecoveryTest, ABatchWithAValidCrcButAnUnexpectedBaseOffsetIsCorruption) {
  // A batch that checks out on its own but does not continue the offsets (a replayed or misplaced
  // write) is never served as if its offsets were right.
  for (int64_t delta : {-1, 1, 1000}) {
    SCOPED_TRACE("base offset moved by " + std::to_string(delta));
    const fs::path root = dir_ / ("delta" + std::to_string(delta + 10));
    ASSERT_NO_FATAL_FAILURE(WriteAndStop(root, 5));
    RewriteHeaderWithValidCrc(
        disk_[3], [delta](std::byte* h) { StoreFixed<int64_t>(h + 16, LoadFixed<int64_t>(h + 16) + delta); });
    ASSERT_NO_FATAL_FAILURE(ExpectDamaged(root, 3));
  }
}

TEST_F(RecoveryTest, ABatchWithAValidCrcButTheWrongMagicIsCorruption) {
  ASSERT_NO_FATAL_FAILURE(WriteAndStop(dir_, 5));
  RewriteHeaderWithValidCrc(disk_[2], [](std::byte* h) { StoreFixed<uint32_t>(h + 8, kMagic + 1); });
  ASSERT_NO_FATAL_FAILURE(ExpectDamaged(dir_, 2));
}

TEST_F(RecoveryTest, AHoleInsideTheLastWriteIsATornTail) {
  // A crash of the machine can persist a write's later pages and not its earlier ones. Batches 2,
  // 3 and 4 become one write (only 2 keeps the flag that starts a write); a hole in 3 or in 2 is
  // then a torn tail, cut off with everything after it.
  for (size_t victim : {2u, 3u}) {
    SCOPED_TRACE("hole in batch " + std::to_string(victim));
    const fs::path root = dir_ / ("hole" + std::to_string(victim));
    ASSERT_NO_FATAL_FAILURE(WriteAndStop(root, 5));
    for (size_t later : {3u, 4u}) {
      RewriteHeaderWithValidCrc(disk_[later], [](std::byte* h) { StoreFixed<uint32_t>(h + 28, 0); });
    }
    Bytes bytes = ReadFileBytes(disk_[victim].file);
    std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(disk_[victim].pos + 20), 30, std::byte{0});
    WriteFileBytes(disk_[victim].file, bytes);
    ASSERT_NO_FATAL_FAILURE(ExpectRecovered(root, victim, disk_[victim].file, disk_[victim].pos));
  }
}

TEST_F(RecoveryTest, DamageBeforeTheLastWriteIsCorruptionEvenWhenTheLastWriteIsTorn) {
  ASSERT_NO_FATAL_FAILURE(WriteAndStop(dir_, 6));
  ASSERT_NO_FATAL_FAILURE(FlipByte(disk_[1].file, disk_[1].pos + kHeaderBytes + 3));
  fs::resize_file(disk_.back().file, disk_.back().pos + 9);  // and the last write is torn
  ASSERT_NO_FATAL_FAILURE(ExpectDamaged(dir_, 1, /*last_kept=*/4));
}

TEST_F(RecoveryTest, SkipToTakesTheOffsetsUpToAConsumersPositionAndReadersPassOverThem) {
  ASSERT_NO_FATAL_FAILURE(OpenLog(dir_));
  ASSERT_TRUE(log_->CreateStream("events", StreamOptions{}).ok());
  std::vector<Expected> expected;
  ASSERT_NO_FATAL_FAILURE(AppendTagged(Events(), "before", 10, &expected));
  std::promise<Result<AppendResult>> skipped;
  Events()->SkipTo(Offset(100), [&](Result<AppendResult> r) { skipped.set_value(std::move(r)); });
  Result<AppendResult> r = skipped.get_future().get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->first_offset, Offset(kRecordsPerBatch));
  EXPECT_EQ(r->last_offset, Offset(99));
  EXPECT_EQ(Events()->next_offset(), Offset(100));
  // Behind the partition already: nothing to skip.
  std::promise<Result<AppendResult>> again;
  Events()->SkipTo(Offset(50), [&](Result<AppendResult> r) { again.set_value(std::move(r)); });
  r = again.get_future().get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_LT(r->last_offset, r->first_offset);
  EXPECT_EQ(Events()->next_offset(), Offset(100));

  BatchBuilder after{SchemaVersion(1)};
  after.Add(5, AsBytes(std::string("after the gap")));
  auto appended = AppendSync(Events(), std::move(after));
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  EXPECT_EQ(appended->first_offset, Offset(100));

  // Across a reopen: the gap is in the log, readers pass over it from any position.
  ASSERT_NO_FATAL_FAILURE(OpenLog(dir_));
  EXPECT_EQ(Events()->next_offset(), Offset(101));
  for (int64_t from : {0, 2, 4, 50, 100}) {
    ReadOutcome read = ReadAll(Events(), Offset(from), 1);
    ASSERT_TRUE(read.status.ok()) << "from " << from << ": " << read.status.ToString();
    std::vector<int64_t> offsets;
    for (const Rec& rec : read.records) offsets.push_back(rec.offset);
    std::vector<int64_t> want;
    for (int64_t o = from; o < kRecordsPerBatch; ++o) want.push_back(o);
    want.push_back(100);
    EXPECT_EQ(offsets, want) << "from " << from;
    EXPECT_EQ(read.records.back().payload, "after the gap");
  }
}

TEST_F(RecoveryTest, RemovesZerosAndGarbageAfterTheLastBatch) {
  std::mt19937 rng(42);
  Bytes random(1000);
  for (std::byte& b : random) b = static_cast<std::byte>(rng());
  Bytes plausible;  // a header that claims 200 bytes, followed by noise
  PutFixed<uint32_t>(plausible, 200);
  PutFixed<uint32_t>(plausible, 0x12345678);
  PutFixed<uint32_t>(plausible, kMagic);
  plausible.resize(200, std::byte{0x5A});
  const std::vector<std::pair<std::string, Bytes>> tails = {
      {"zeros", Bytes(4096, std::byte{0})},
      {"one-zero", Bytes(1, std::byte{0})},
      {"random", random},
      {"plausible-header", plausible},
  };
  for (const auto& [name, tail] : tails) {
    SCOPED_TRACE(name);
    const fs::path root = dir_ / name;
    ASSERT_NO_FATAL_FAILURE(WriteAndStop(root, 4));
    const DiskBatch last = disk_.back();
    AppendToFile(last.file, tail);
    ASSERT_NO_FATAL_FAILURE(ExpectRecovered(root, 4, last.file, last.pos + last.bytes));
  }
}

TEST_F(RecoveryTest, RemovesADuplicateOfTheLastBatch) {
  ASSERT_NO_FATAL_FAILURE(WriteAndStop(dir_, 4));
  const DiskBatch last = disk_.back();
  Bytes bytes = ReadFileBytes(last.file);
  Bytes copy(bytes.begin() + static_cast<std::ptrdiff_t>(last.pos), bytes.end());
  AppendToFile(last.file, copy);  // valid CRC and magic, but its base offset repeats
  ASSERT_NO_FATAL_FAILURE(ExpectRecovered(dir_, 4, last.file, last.pos + last.bytes));
}

TEST_F(RecoveryTest, EmptyOnlySegmentRecoversToAnEmptyPartition) {
  ASSERT_NO_FATAL_FAILURE(WriteAndStop(dir_, 3));
  fs::resize_file(disk_.back().file, 0);
  ASSERT_NO_FATAL_FAILURE(ExpectRecovered(dir_, 0, disk_.back().file, 0));
}

TEST_F(RecoveryTest, EmptyNewestSegmentAfterARollIsAccepted) {
  // A crash right after the roll created the next segment file and before anything was written.
  ASSERT_NO_FATAL_FAILURE(WriteAndStop(dir_, 4));
  const int64_t next = disk_.back().base + disk_.back().count;
  const fs::path empty = PartitionDir("events") / SegmentFileName(next);
  { std::ofstream create(empty, std::ios::binary); }
  ASSERT_NO_FATAL_FAILURE(ExpectRecovered(dir_, 4, empty, 0));
}

TEST_F(RecoveryTest, TruncatesTornTailOfTheLastOfManySegments) {
  constexpr uint64_t kSegmentBytes = 2048;
  ASSERT_NO_FATAL_FAILURE(WriteAndStop(dir_, 40, kSegmentBytes));
  ASSERT_NE(disk_.front().file, disk_.back().file) << "expected several segments";
  const DiskBatch last = disk_.back();
  fs::resize_file(last.file, last.pos + last.bytes / 2);
  ASSERT_NO_FATAL_FAILURE(ExpectRecovered(dir_, disk_.size() - 1, last.file, last.pos, kSegmentBytes));
}

TEST_F(RecoveryTest, DamageInOnePartitionLeavesTheOthersAlone) {
  ASSERT_NO_FATAL_FAILURE(OpenLog(dir_));
  StreamOptions so;
  so.partitions = 2;
  ASSERT_TRUE(log_->CreateStream("events", so).ok());
  std::vector<Expected> expected[2];
  for (int i = 0; i < 5; ++i) {
    for (int p = 0; p < 2; ++p) {
      ASSERT_NO_FATAL_FAILURE(
          AppendTagged(Events(p), "p" + std::to_string(p) + "b" + std::to_string(i), 20, &expected[p]));
    }
  }
  CloseLog();
  std::vector<DiskBatch> damaged = ScanPartition(PartitionDir("events", 1));
  ASSERT_EQ(damaged.size(), 5u);
  fs::resize_file(damaged.back().file, damaged.back().pos + 30);

  ASSERT_NO_FATAL_FAILURE(OpenLog(dir_));
  EXPECT_EQ(Events(0)->next_offset(), Offset(20));
  EXPECT_EQ(Events(1)->next_offset(), Offset(16));
  for (int p = 0; p < 2; ++p) {
    ReadOutcome read = ReadAll(Events(p), Offset(0));
    ASSERT_TRUE(read.status.ok()) << read.status.ToString();
    ASSERT_NO_FATAL_FAILURE(ExpectRecords(read.records, expected[p], 0, p == 0 ? 20 : 16));
  }
}

// ---------------------------------------------------------------------------------------------
// Damage to a sealed segment: never served

TEST_F(RecoveryTest, CorruptBatchInASealedSegmentReadsAsCorruptionNeverAsData) {
  constexpr uint64_t kSegmentBytes = 2048;
  ASSERT_NO_FATAL_FAILURE(WriteAndStop(dir_, 40, kSegmentBytes));
  const fs::path first_file = disk_.front().file;
  size_t in_first = 0;
  while (in_first < disk_.size() && disk_[in_first].file == first_file) ++in_first;
  ASSERT_GE(in_first, 5u) << "the first segment should hold several batches";
  ASSERT_LT(in_first, disk_.size()) << "expected several segments";
  const DiskBatch victim = disk_[3];
  const uint64_t size_before = fs::file_size(first_file);
  ASSERT_NO_FATAL_FAILURE(FlipByte(victim.file, victim.pos + victim.bytes - 5));

  ASSERT_NO_FATAL_FAILURE(OpenLog(dir_, kSegmentBytes));
  Partition* p = Events();
  ASSERT_NE(p, nullptr);
  const auto end = static_cast<int64_t>(expected_.size());
  EXPECT_EQ(p->next_offset(), Offset(end)) << "only the last segment is recovered";
  EXPECT_EQ(fs::file_size(first_file), size_before) << "a sealed segment must not be truncated";

  // From the start, one batch at a time: the good batches, then Corruption naming the segment.
  ReadOutcome read = ReadAll(p, Offset(0), 1);
  EXPECT_EQ(read.status.code(), StatusCode::kCorruption) << read.status.ToString();
  ASSERT_NO_FATAL_FAILURE(ExpectRecords(read.records, expected_, 0, -1));
  EXPECT_EQ(static_cast<int64_t>(read.records.size()), victim.base) << "the batches before the damage";
  EXPECT_NE(read.status.message().find(first_file.stem().string()), std::string::npos)
      << "the error should name the segment: " << read.status.ToString();

  // With large reads, the same: never a record from the damaged batch or past it.
  read = ReadAll(p, Offset(0));
  EXPECT_EQ(read.status.code(), StatusCode::kCorruption) << read.status.ToString();
  ASSERT_NO_FATAL_FAILURE(ExpectRecords(read.records, expected_, 0, -1));
  EXPECT_LE(static_cast<int64_t>(read.records.size()), victim.base);

  // Starting at or inside the damaged batch.
  for (int64_t from : {victim.base, victim.base + 1}) {
    read = ReadAll(p, Offset(from));
    EXPECT_EQ(read.status.code(), StatusCode::kCorruption) << "from " << from << ": " << read.status.ToString();
    EXPECT_TRUE(read.records.empty()) << "from " << from;
  }

  // Starting after it in the same segment: everything (a reader passes over whole batches below
  // its position without decoding them).
  const int64_t after = disk_[4].base;
  read = ReadAll(p, Offset(after));
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  ASSERT_NO_FATAL_FAILURE(ExpectRecords(read.records, expected_, after, end));

  // The next segment is unaffected.
  const int64_t second = disk_[in_first].base;
  read = ReadAll(p, Offset(second));
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  ASSERT_NO_FATAL_FAILURE(ExpectRecords(read.records, expected_, second, end));
}

}  // namespace
}  // namespace lagoa::log
