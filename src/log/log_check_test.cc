// RepairPartition with a RebuildSource: a damaged stretch is rebuilt from the records the source
// gives back (at their own offsets, with their schema versions and times), the offsets it lacks
// become gaps, and a source that misbehaves changes nothing. The source here serves records read
// from the same log before the damage; the real one, the lake's copy, is tested in
// src/lake/load/stream_loader_test.cc and tests/e2e/test_log_damage.py.
#include "log/log_check.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "log/log_test_util.h"

namespace lagoa::log {
namespace {

using namespace testing_util;

class LogCheckTest : public LogFixture {
 protected:
  // 10 acknowledged batches of 10 records (offsets 0..99), read back into before_; the log is
  // closed afterwards and one byte inside batch 5 (offsets 50..59) is flipped.
  void SetUp() override {
    LogFixture::SetUp();
    Reopen();
    Stream* stream = Create("s");
    ASSERT_NE(stream, nullptr);
    Model model;
    AppendEach(stream->partition(PartitionId(0)), ManyBatches("b", 10, 10, 20), &model);
    ReadOutcome read = ReadAll(stream->partition(PartitionId(0)), Offset(0));
    ASSERT_TRUE(read.status.ok()) << read.status.ToString();
    before_ = std::move(read.records);
    ASSERT_EQ(before_.size(), 100u);
    CloseLog();

    const std::vector<SegmentFile> segments = SegmentFiles(PartitionDir("s"));
    ASSERT_EQ(segments.size(), 1u);
    segment_ = segments[0].path;
    Bytes bytes = ReadFileBytes(segment_);
    uint64_t pos = 0;
    for (int b = 0; b < 5; ++b) pos += ParseHeader(bytes.data() + pos).batch_bytes;
    ASSERT_EQ(ParseHeader(bytes.data() + pos).base_offset, 50);
    bytes[pos + kHeaderBytes + 3] ^= std::byte{0x40};
    WriteBytes(bytes);
    damaged_bytes_ = bytes;
  }

  void WriteBytes(const Bytes& bytes) {
    std::ofstream out(segment_, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }

  PartitionCheck Check() {
    auto checks = CheckLog(options_.dir, std::string("s"));
    EXPECT_TRUE(checks.ok()) << checks.status().ToString();
    EXPECT_EQ(checks.ok() ? checks->size() : 0u, 1u);
    return checks.ok() && !checks->empty() ? checks->front() : PartitionCheck{};
  }

  // A source serving before_'s records of the offsets `held`.
  RebuildSource SourceOf(const std::vector<int64_t>& held) {
    return [this, held](Offset first, Offset end, const std::function<Status(const ReadRecord&)>& add) -> Status {
      for (int64_t offset : held) {
        if (offset < first.value() || offset >= end.value()) continue;
        const Rec& r = before_[static_cast<size_t>(offset)];
        LAGOA_RETURN_IF_ERROR(add(ReadRecord{Offset(r.offset), SchemaVersion(r.schema), r.event_time_us,
                                             r.ingest_time_us, AsBytes(r.payload)}));
      }
      return Status::Ok();
    };
  }

  std::string RepairsFile() {
    std::ifstream in(PartitionDir("s") / "repairs");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  std::vector<Rec> before_;
  std::filesystem::path segment_;
  Bytes damaged_bytes_;
};

TEST_F(LogCheckTest, RebuildsTheOffsetsTheSourceHoldsAndGapsTheRest) {
  const PartitionCheck check = Check();
  ASSERT_TRUE(check.damaged());
  ASSERT_EQ(check.segments[0].damage.size(), 1u);
  EXPECT_EQ(check.segments[0].damage[0].first_offset, Offset(50));
  EXPECT_EQ(check.segments[0].damage[0].end_offset, Offset(60));

  auto repaired = RepairPartition(check, SourceOf({50, 51, 52, 53, 54, 57, 58, 59}));
  ASSERT_TRUE(repaired.ok()) << repaired.status().ToString();
  ASSERT_EQ(repaired->size(), 1u);
  EXPECT_EQ((*repaired)[0].rebuilt_records, 8u);
  ASSERT_EQ((*repaired)[0].gaps.size(), 1u);
  EXPECT_EQ((*repaired)[0].gaps[0], std::make_pair(Offset(55), Offset(57)));
  EXPECT_FALSE((*repaired)[0].cut);
  EXPECT_NE(RepairsFile().find("rebuilt 8 records, gap at 55 to 56: offsets 50 to 59"), std::string::npos)
      << RepairsFile();
  EXPECT_FALSE(Check().damaged());

  Reopen();
  Stream* stream = log_->FindStream("s");
  ASSERT_NE(stream, nullptr);
  ReadOutcome read = ReadAll(stream->partition(PartitionId(0)), Offset(0));
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  std::vector<const Rec*> expected;
  for (const Rec& r : before_) {
    if (r.offset != 55 && r.offset != 56) expected.push_back(&r);
  }
  ASSERT_EQ(read.records.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const Rec& want = *expected[i];
    const Rec& got = read.records[i];
    EXPECT_EQ(got.offset, want.offset);
    EXPECT_EQ(got.schema, want.schema) << "offset " << want.offset;
    EXPECT_EQ(got.event_time_us, want.event_time_us) << "offset " << want.offset;
    EXPECT_EQ(got.ingest_time_us, want.ingest_time_us) << "offset " << want.offset;
    EXPECT_EQ(got.payload, want.payload) << "offset " << want.offset;
  }
  EXPECT_EQ(stream->partition(PartitionId(0))->next_offset(), Offset(100));
}

TEST_F(LogCheckTest, WithoutASourceTheStretchBecomesOneGap) {
  auto repaired = RepairPartition(Check());
  ASSERT_TRUE(repaired.ok()) << repaired.status().ToString();
  ASSERT_EQ(repaired->size(), 1u);
  EXPECT_EQ((*repaired)[0].rebuilt_records, 0u);
  ASSERT_EQ((*repaired)[0].gaps.size(), 1u);
  EXPECT_EQ((*repaired)[0].gaps[0], std::make_pair(Offset(50), Offset(60)));
  EXPECT_NE(RepairsFile().find(" gap: offsets 50 to 59"), std::string::npos) << RepairsFile();
  EXPECT_FALSE(Check().damaged());
}

TEST_F(LogCheckTest, ASourceThatFailsOrGivesOffsetsOutOfOrderChangesNothing) {
  const PartitionCheck check = Check();
  auto failing = [](Offset, Offset, const std::function<Status(const ReadRecord&)>&) {
    return Status::IoError("the lake is unreadable");
  };
  auto repaired = RepairPartition(check, failing);
  EXPECT_EQ(repaired.status().message(), "the lake is unreadable");
  EXPECT_EQ(ReadFileBytes(segment_), damaged_bytes_);

  repaired = RepairPartition(check, SourceOf({52, 51}));
  ASSERT_FALSE(repaired.ok());
  EXPECT_NE(repaired.status().message().find("gave offset 51 after offset 52"), std::string::npos)
      << repaired.status().ToString();
  repaired = RepairPartition(check, SourceOf({49}));  // before the stretch: filtered by SourceOf
  ASSERT_TRUE(repaired.ok());
  EXPECT_FALSE(Check().damaged());
}

TEST_F(LogCheckTest, ARecordOutsideTheStretchFailsTheRepair) {
  auto outside = [this](Offset, Offset, const std::function<Status(const ReadRecord&)>& add) -> Status {
    const Rec& r = before_[60];
    return add(ReadRecord{Offset(60), SchemaVersion(r.schema), r.event_time_us, r.ingest_time_us, AsBytes(r.payload)});
  };
  auto repaired = RepairPartition(Check(), outside);
  ASSERT_FALSE(repaired.ok());
  EXPECT_NE(repaired.status().message().find("offsets 50 to 59 from gave offset 60"), std::string::npos)
      << repaired.status().ToString();
  EXPECT_EQ(ReadFileBytes(segment_), damaged_bytes_);
  EXPECT_TRUE(RepairsFile().empty());
}

}  // namespace
}  // namespace lagoa::log
