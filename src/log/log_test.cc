// Tests of the durable event log through its public API (log.h): options, streams, appends and
// reads, segment rolling and indexes, reopen, consumer offsets and the durability modes. Concurrency
// and shutdown are in group_commit_test.cc, retention and the free-space guard in retention_test.cc.
// Every wait is bounded by a deadline.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/status.h"
#include "base/strong_int.h"
#include "log/log.h"
#include "log/log_test_util.h"

namespace lagoa::log {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace testing_util;

// The base offset in the header of a segment's first batch; -1 for a file too short to hold one.
int64_t FirstBatchBaseOffset(const fs::path& segment) {
  Bytes bytes = ReadFileBytes(segment);
  return bytes.size() < kHeaderBytes ? -1 : ParseHeader(bytes.data()).base_offset;
}

// ---------------------------------------------------------------------------------------------
// Lifecycle and streams

TEST(LogOptionsTest, ValidateRejectsNonsenseAndNamesTheKey) {
  LogOptions ok;
  ok.dir = "/tmp/unused";
  EXPECT_TRUE(ok.Validate().ok()) << ok.Validate().ToString();

  LogOptions no_dir = ok;
  no_dir.dir.clear();
  EXPECT_EQ(no_dir.Validate().code(), StatusCode::kInvalidArgument);

  LogOptions zero_segment = ok;
  zero_segment.segment_bytes_max = 0;
  Status s = zero_segment.Validate();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("segment_bytes_max"), std::string::npos) << s.ToString();

  LogOptions bad_percent = ok;
  bad_percent.free_space_min_percent = 101;
  s = bad_percent.Validate();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("free_space_min_percent"), std::string::npos) << s.ToString();

  // Open validates too.
  auto opened = Log::Open(zero_segment);
  EXPECT_FALSE(opened.ok());
}

TEST_F(LogTest, OpensAFreshDirectoryStartsAndStops) {
  options_.dir = dir_ / "a" / "b" / "log";  // parents do not exist yet
  Reopen();
  EXPECT_TRUE(fs::is_directory(options_.dir));
  EXPECT_TRUE(log_->ListStreams().empty());
  EXPECT_FALSE(log_->failed());
  log_->Stop();
  log_.reset();
  Reopen();  // an empty log reopens
  EXPECT_TRUE(log_->ListStreams().empty());
}

TEST_F(LogTest, OpenFailsWhenTheDirectoryIsAFile) {
  fs::create_directories(dir_);
  { std::ofstream(dir_ / "file") << "not a directory"; }
  options_.dir = dir_ / "file";
  auto opened = Log::Open(options_);
  EXPECT_FALSE(opened.ok());
}

TEST_F(LogTest, CreateFindListAndRefuseADuplicateStream) {
  Reopen();
  Stream* clicks = Create("clicks", 3, RetentionPolicy{60'000, 1 << 20});
  ASSERT_NE(clicks, nullptr);
  EXPECT_EQ(clicks->name(), "clicks");
  EXPECT_EQ(clicks->partition_count(), 3);
  EXPECT_EQ(clicks->retention().max_age_ms, 60'000);
  EXPECT_EQ(clicks->retention().max_bytes, 1 << 20);
  Stream* views = Create("views");
  ASSERT_NE(views, nullptr);

  auto again = log_->CreateStream("clicks", StreamOptions{});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(log_->FindStream("clicks"), clicks);  // the refused create changed nothing
  EXPECT_EQ(clicks->partition_count(), 3);

  EXPECT_EQ(log_->FindStream("views"), views);
  EXPECT_EQ(log_->FindStream("nope"), nullptr);
  std::set<std::string> names;
  for (Stream* s : log_->ListStreams()) names.insert(s->name());
  EXPECT_EQ(names, (std::set<std::string>{"clicks", "views"}));

  EXPECT_TRUE(fs::is_regular_file(options_.dir / "clicks" / "stream.meta"));
  for (int p = 0; p < 3; ++p) {
    EXPECT_TRUE(fs::is_directory(PartitionDir("clicks", p))) << p;
    EXPECT_EQ(clicks->partition(PartitionId(p))->next_offset(), Offset(0));
  }
}

TEST_F(LogTest, DropStreamRemovesFilesAndRefusesLaterAppends) {
  Reopen();
  Stream* s = Create("doomed", 2);
  ASSERT_NE(s, nullptr);
  Partition* p = s->partition(PartitionId(0));
  Model model;
  AppendEach(p, {MakeBatch("x", 3)}, &model);

  // Appends still queued when the stream is dropped either made it or fail with NotFound.
  auto queued = AppendAsync(p, ManyBatches("q", 200, 2, 0));
  Status dropped = log_->DropStream("doomed");
  ASSERT_TRUE(dropped.ok()) << dropped.ToString();
  ASSERT_TRUE(queued->WaitAll(kAckTimeout));
  for (auto& r : queued->results) {
    if (!r->ok()) {
      EXPECT_EQ(r->status().code(), StatusCode::kNotFound) << r->status().ToString();
    }
  }

  EXPECT_EQ(log_->FindStream("doomed"), nullptr);
  EXPECT_TRUE(log_->ListStreams().empty());
  EXPECT_FALSE(fs::exists(options_.dir / "doomed"));
  auto after = AppendSync(p, MakeBatch("late", 1).Build());  // the pointer stays valid
  ASSERT_FALSE(after.ok());
  EXPECT_TRUE(after.status().code() == StatusCode::kNotFound || after.status().code() == StatusCode::kUnavailable)
      << after.status().ToString();
  EXPECT_EQ(log_->DropStream("doomed").code(), StatusCode::kNotFound);

  // The name is free again, and the new stream does not see the old data.
  Stream* reborn = Create("doomed");
  ASSERT_NE(reborn, nullptr);
  EXPECT_EQ(reborn->partition(PartitionId(0))->next_offset(), Offset(0));
  ReadOutcome read = ReadAll(reborn->partition(PartitionId(0)), Offset(0));
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  EXPECT_TRUE(read.records.empty());

  // A dropped stream does not come back on reopen.
  ASSERT_TRUE(log_->DropStream("doomed").ok());
  Reopen();
  EXPECT_EQ(log_->FindStream("doomed"), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Appending and reading

TEST_F(LogTest, AppendedRecordsReadBackWithDenseOffsetsAndTheirMetadata) {
  Reopen();
  Partition* p = Create("events")->partition(PartitionId(0));
  std::vector<TestBatch> batches;
  batches.push_back({1, {{1'000, "one"}, {-2'000'000, "before 1970"}, {5'000, ""}}});
  batches.push_back({2, {{7'000, std::string("\x00\xff\x7f\x80", 4)}}});
  batches.push_back({1, {{9'000, std::string(70'000, 'L')}, {8'000, "small"}}});
  batches.push_back({3, {{10'000, "x"}, {10'000, "y"}, {10'000, "z"}, {10'001, "w"}}});
  Model model;
  int64_t expected_first = 0;
  for (const TestBatch& b : batches) {
    int64_t before = WallNowMicros();
    auto r = AppendSync(p, b.Build());
    int64_t after = WallNowMicros();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->first_offset, Offset(expected_first));
    EXPECT_EQ(r->last_offset, Offset(expected_first + static_cast<int64_t>(b.items.size()) - 1));
    expected_first += static_cast<int64_t>(b.items.size());
    model.Add(*r, b, before, after);
    EXPECT_EQ(p->next_offset(), Offset(expected_first));  // visible once acknowledged
  }
  ReadOutcome read = ReadAll(p, Offset(0));
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  model.ExpectExactly(read.records, 0, 10);

  PartitionStats stats = p->stats();
  EXPECT_EQ(stats.start_offset, Offset(0));
  EXPECT_EQ(stats.next_offset, Offset(10));
  EXPECT_EQ(stats.segment_count, 1u);
  uint64_t framed = 0;
  for (const TestBatch& b : batches) framed += b.Build().framed_bytes();
  EXPECT_EQ(stats.size_bytes, framed);
}

TEST_F(LogTest, ReaderStartsAtAnyOffsetAndSeesDataArrivingAtTheEnd) {
  Reopen();
  Partition* p = Create("events")->partition(PartitionId(0));
  Model model;
  AppendEach(p, ManyBatches("b", 10, 5, 0), &model);  // offsets 0..49, batches start at 0, 5, 10, ...

  for (int64_t from = 0; from <= 50; ++from) {  // batch starts, middles, last record, the end
    ReadOutcome read = ReadAll(p, Offset(from));
    ASSERT_TRUE(read.status.ok()) << "from " << from << ": " << read.status.ToString();
    model.ExpectExactly(read.records, from, 50);
  }

  auto beyond = p->OpenReader(Offset(57));
  ASSERT_TRUE(beyond.ok()) << beyond.status().ToString();
  auto nothing = (*beyond)->Next(1 << 20);
  ASSERT_TRUE(nothing.ok()) << nothing.status().ToString();
  EXPECT_TRUE(nothing->empty());

  auto tail = p->OpenReader(Offset(50));
  ASSERT_TRUE(tail.ok()) << tail.status().ToString();
  auto empty = (*tail)->Next(1 << 20);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ((*tail)->position(), Offset(50));

  AppendEach(p, {MakeBatch("new", 4)}, &model);
  std::vector<Rec> got;
  for (int i = 0; i < 10 && got.size() < 4; ++i) {
    auto more = (*tail)->Next(1 << 20);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    Collect(*more, &got);
  }
  model.ExpectExactly(got, 50, 54);
  EXPECT_EQ((*tail)->position(), Offset(54));
}

TEST_F(LogTest, NextReturnsAtLeastOneBatchAndRespectsMaxBytesRoughly) {
  Reopen();
  Partition* p = Create("events")->partition(PartitionId(0));
  Model model;
  AppendEach(p, ManyBatches("b", 20, 5, 100), &model);             // offsets 0..99
  AppendEach(p, {{1, {{1, std::string(100'000, 'B')}}}}, &model);  // offset 100, far above max_bytes

  auto reader = p->OpenReader(Offset(0));
  ASSERT_TRUE(reader.ok());
  auto first = (*reader)->Next(1);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_GE(first->size(), 5u) << "less than the first batch";
  EXPECT_LT(first->size(), 100u) << "max_bytes 1 read (nearly) everything";

  auto mid = p->OpenReader(Offset(3));
  ASSERT_TRUE(mid.ok());
  auto rest = (*mid)->Next(1);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  ASSERT_GE(rest->size(), 2u) << "the rest of the batch holding offset 3";
  EXPECT_EQ((*rest)[0].offset, Offset(3));

  auto big = p->OpenReader(Offset(100));
  ASSERT_TRUE(big.ok());
  auto huge = (*big)->Next(1024);
  ASSERT_TRUE(huge.ok()) << huge.status().ToString();
  ASSERT_EQ(huge->size(), 1u);
  EXPECT_EQ((*huge)[0].payload.size(), 100'000u);

  // Small steps still read every record exactly once, in order.
  ReadOutcome stepped = ReadAll(p, Offset(0), 1);
  ASSERT_TRUE(stepped.status.ok()) << stepped.status.ToString();
  model.ExpectExactly(stepped.records, 0, 101);
}

TEST_F(LogTest, PartitionsOfAStreamAreIndependent) {
  Reopen();
  Stream* s = Create("multi", 3);
  ASSERT_NE(s, nullptr);
  Model models[3];
  AppendEach(s->partition(PartitionId(0)), ManyBatches("p0-", 5, 3, 0), &models[0]);
  AppendEach(s->partition(PartitionId(2)), ManyBatches("p2-", 2, 4, 0), &models[2]);

  EXPECT_EQ(s->partition(PartitionId(0))->next_offset(), Offset(15));
  EXPECT_EQ(s->partition(PartitionId(1))->next_offset(), Offset(0));
  EXPECT_EQ(s->partition(PartitionId(2))->next_offset(), Offset(8));
  const int64_t ends[3] = {15, 0, 8};
  for (int i = 0; i < 3; ++i) {
    ReadOutcome read = ReadAll(s->partition(PartitionId(i)), Offset(0));
    ASSERT_TRUE(read.status.ok()) << read.status.ToString();
    models[i].ExpectExactly(read.records, 0, ends[i]);
  }
  EXPECT_LE(SegmentFiles(PartitionDir("multi", 1)).size(), 1u);
}

TEST_F(LogTest, RollsSegmentsAndReadsAcrossThem) {
  options_.segment_bytes_max = 2048;
  Reopen();
  Partition* p = Create("rolled")->partition(PartitionId(0));
  Model model;
  AppendEach(p, ManyBatches("b", 150, 3, 40), &model);  // ~190 bytes a batch, ~28 KB
  const int64_t end = model.size();
  ASSERT_EQ(end, 450);

  std::vector<SegmentFile> segments = SegmentFiles(PartitionDir("rolled", 0));
  ASSERT_GE(segments.size(), 10u);
  PartitionStats stats = p->stats();
  EXPECT_EQ(stats.segment_count, segments.size());
  EXPECT_EQ(stats.start_offset, Offset(0));
  EXPECT_EQ(stats.next_offset, Offset(end));
  uint64_t total = 0;
  EXPECT_EQ(segments.front().base, 0);
  for (const SegmentFile& seg : segments) {
    total += seg.size_bytes;
    EXPECT_LE(seg.size_bytes, 2048u + 256u) << seg.path;  // rolls once the segment reaches the max
    EXPECT_EQ(FirstBatchBaseOffset(seg.path), seg.base) << "the file name is its first offset: " << seg.path;
  }
  EXPECT_EQ(stats.size_bytes, total);

  ReadOutcome all = ReadAll(p, Offset(0));
  ASSERT_TRUE(all.status.ok()) << all.status.ToString();
  model.ExpectExactly(all.records, 0, end);
  for (const SegmentFile& seg : segments) {  // starting at, just before and just after each boundary
    for (int64_t from : {seg.base - 1, seg.base, seg.base + 1}) {
      if (from < 0) continue;
      ReadOutcome read = ReadAll(p, Offset(from), 512);
      ASSERT_TRUE(read.status.ok()) << "from " << from << ": " << read.status.ToString();
      model.ExpectExactly(read.records, from, end);
    }
  }
}

TEST_F(LogTest, SegmentsStayNearTheirMaximumUnderGroupCommit) {
  // Appends issued without waiting land in few group commits; segment_bytes_max still bounds every
  // segment (to within one batch), so retention and the index keep their granularity under load.
  options_.segment_bytes_max = 4096;
  Reopen();
  Partition* p = Create("loaded")->partition(PartitionId(0));
  Model model;
  AppendAll(p, ManyBatches("b", 300, 3, 40), &model);  // ~190 bytes a batch, ~57 KB
  std::vector<SegmentFile> segments = SegmentFiles(PartitionDir("loaded", 0));
  EXPECT_GE(segments.size(), 10u);
  for (const SegmentFile& seg : segments) EXPECT_LE(seg.size_bytes, 4096u + 256u) << seg.path;
  ReadOutcome all = ReadAll(p, Offset(0));
  ASSERT_TRUE(all.status.ok()) << all.status.ToString();
  model.ExpectExactly(all.records, 0, model.size());
}

TEST_F(LogTest, ReadsALargePartitionWhateverMaxBytes) {
  // Batches of many different sizes, so that wherever a reader's internal read chunk ends, some
  // chunk ends inside a batch header, inside records and exactly on a boundary.
  options_.durability = Durability::kNone;  // speed; the read path is what is tested
  Reopen();
  Partition* p = Create("large")->partition(PartitionId(0));
  std::vector<TestBatch> batches;
  for (int i = 0; i < 6000; ++i) {
    batches.push_back(MakeBatch("b" + std::to_string(i), 1 + i % 4, static_cast<size_t>(7 + (i * 37) % 300)));
  }
  Model model;
  AppendAll(p, batches, &model);
  const int64_t end = model.size();
  ASSERT_GT(p->stats().size_bytes, 1u << 20);
  for (size_t max_bytes : {size_t{1}, size_t{1000}, size_t{65536}, size_t{100'000}, size_t{1} << 20, size_t{8} << 20}) {
    ReadOutcome read = ReadAll(p, Offset(0), max_bytes);
    ASSERT_TRUE(read.status.ok()) << "max_bytes " << max_bytes << ": " << read.status.ToString();
    model.ExpectExactly(read.records, 0, end);
  }
  for (int64_t from : {int64_t{1}, end / 3, end / 2 + 1, end - 5}) {
    ReadOutcome read = ReadAll(p, Offset(from), 65536);
    ASSERT_TRUE(read.status.ok()) << "from " << from << ": " << read.status.ToString();
    model.ExpectExactly(read.records, from, end);
  }
}

TEST_F(LogTest, SealedSegmentsGetAnIndexAndReadsWorkWhenItIsMissing) {
  options_.segment_bytes_max = 4096;
  Reopen();
  Partition* p = Create("indexed")->partition(PartitionId(0));
  Model model;
  AppendEach(p, ManyBatches("b", 120, 3, 40), &model);
  const int64_t end = model.size();
  log_->Stop();
  log_.reset();

  std::vector<SegmentFile> segments = SegmentFiles(PartitionDir("indexed", 0));
  ASSERT_GE(segments.size(), 3u);
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    fs::path index = segments[i].path;
    index.replace_extension(".index");
    EXPECT_TRUE(fs::is_regular_file(index)) << "sealed segment without an index: " << segments[i].path;
    fs::remove(index);
  }
  Reopen();
  p = log_->FindStream("indexed")->partition(PartitionId(0));
  for (int64_t from = 0; from < end; from += 7) {
    ReadOutcome read = ReadAll(p, Offset(from));
    ASSERT_TRUE(read.status.ok()) << "from " << from << ": " << read.status.ToString();
    model.ExpectExactly(read.records, from, end);
  }
}

TEST_F(LogTest, ReopenKeepsStreamsDataAndContinuesOffsets) {
  options_.segment_bytes_max = 2048;
  Reopen();
  Stream* clicks = Create("clicks", 2, RetentionPolicy{3'600'000, 1 << 30});
  Stream* views = Create("views");
  ASSERT_NE(clicks, nullptr);
  ASSERT_NE(views, nullptr);
  Model m_clicks0, m_clicks1, m_views;
  AppendEach(clicks->partition(PartitionId(0)), ManyBatches("c0-", 40, 3, 30), &m_clicks0);
  AppendEach(clicks->partition(PartitionId(1)), ManyBatches("c1-", 3, 2, 0), &m_clicks1);
  AppendEach(views->partition(PartitionId(0)), ManyBatches("v-", 4, 1, 0), &m_views);
  const uint64_t segments_before = clicks->partition(PartitionId(0))->stats().segment_count;
  ASSERT_GT(segments_before, 1u);

  for (int round = 0; round < 2; ++round) {
    Reopen();
    std::set<std::string> names;
    for (Stream* s : log_->ListStreams()) names.insert(s->name());
    ASSERT_EQ(names, (std::set<std::string>{"clicks", "views"}));
    clicks = log_->FindStream("clicks");
    views = log_->FindStream("views");
    ASSERT_EQ(clicks->partition_count(), 2);
    EXPECT_EQ(clicks->retention().max_age_ms, 3'600'000);
    EXPECT_EQ(clicks->retention().max_bytes, 1 << 30);
    EXPECT_EQ(views->retention().max_age_ms, -1);
    EXPECT_EQ(views->retention().max_bytes, -1);
    Partition* c0 = clicks->partition(PartitionId(0));
    Partition* c1 = clicks->partition(PartitionId(1));
    Partition* v0 = views->partition(PartitionId(0));
    EXPECT_EQ(c0->stats().segment_count, segments_before);

    for (auto [p, m] : {std::pair{c0, &m_clicks0}, std::pair{c1, &m_clicks1}, std::pair{v0, &m_views}}) {
      EXPECT_EQ(p->next_offset(), Offset(m->size()));
      ReadOutcome read = ReadAll(p, Offset(0));
      ASSERT_TRUE(read.status.ok()) << read.status.ToString();
      m->ExpectExactly(read.records, 0, m->size());
    }
    // Offsets continue where they stopped.
    int64_t next = m_clicks1.size();
    auto r = AppendSync(c1, MakeBatch("after-reopen" + std::to_string(round), 2).Build());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->first_offset, Offset(next));
    m_clicks1.Add(*r, MakeBatch("after-reopen" + std::to_string(round), 2), 0, std::numeric_limits<int64_t>::max());
  }
}

// ---------------------------------------------------------------------------------------------
// Consumer offsets

TEST_F(LogTest, ConsumerOffsetsAreDurableAcrossReopen) {
  Reopen();
  Stream* s = Create("consumed", 2);
  Model m0, m1;
  AppendEach(s->partition(PartitionId(0)), ManyBatches("a", 5, 10, 0), &m0);
  AppendEach(s->partition(PartitionId(1)), ManyBatches("b", 2, 10, 0), &m1);
  Partition* p0 = s->partition(PartitionId(0));
  Partition* p1 = s->partition(PartitionId(1));

  EXPECT_EQ(p0->ConsumerOffset("lake"), std::nullopt);
  ASSERT_TRUE(p0->CommitConsumerOffset("lake", Offset(10)).ok());
  ASSERT_TRUE(p0->CommitConsumerOffset("tail-group.1", Offset(20)).ok());
  ASSERT_TRUE(p1->CommitConsumerOffset("lake", Offset(5)).ok());
  EXPECT_EQ(p0->ConsumerOffset("lake"), Offset(10));
  ASSERT_TRUE(p0->CommitConsumerOffset("lake", Offset(30)).ok());  // overwrites
  EXPECT_EQ(p0->ConsumerOffset("lake"), Offset(30));
  EXPECT_EQ(p0->ConsumerOffset("tail-group.1"), Offset(20));
  EXPECT_EQ(p1->ConsumerOffset("lake"), Offset(5));
  EXPECT_EQ(p1->ConsumerOffset("tail-group.1"), std::nullopt);

  Reopen();
  s = log_->FindStream("consumed");
  ASSERT_NE(s, nullptr);
  p0 = s->partition(PartitionId(0));
  p1 = s->partition(PartitionId(1));
  EXPECT_EQ(p0->ConsumerOffset("lake"), Offset(30));
  EXPECT_EQ(p0->ConsumerOffset("tail-group.1"), Offset(20));
  EXPECT_EQ(p1->ConsumerOffset("lake"), Offset(5));
  EXPECT_EQ(p0->ConsumerOffset("never"), std::nullopt);

  ASSERT_TRUE(p1->CommitConsumerOffset("lake", Offset(20)).ok());
  Reopen();
  EXPECT_EQ(log_->FindStream("consumed")->partition(PartitionId(1))->ConsumerOffset("lake"), Offset(20));
  EXPECT_EQ(log_->FindStream("consumed")->partition(PartitionId(0))->ConsumerOffset("lake"), Offset(30));
}

// ---------------------------------------------------------------------------------------------
// Durability modes

TEST_F(LogTest, DurabilityNoneAppendsReadsAndSurvivesAReopen) {
  options_.durability = Durability::kNone;
  Reopen();
  Partition* p = Create("fast")->partition(PartitionId(0));
  Model model;
  AppendAll(p, ManyBatches("b", 200, 2, 20), &model);
  ReadOutcome read = ReadAll(p, Offset(0));
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  model.ExpectExactly(read.records, 0, 400);
  Reopen();
  p = log_->FindStream("fast")->partition(PartitionId(0));
  read = ReadAll(p, Offset(0));
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  model.ExpectExactly(read.records, 0, 400);
}

}  // namespace
}  // namespace lagoa::log
