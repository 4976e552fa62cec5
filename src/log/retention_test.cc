// Tests of the log's maintenance thread through the public API (log.h): the free-space guard that
// refuses appends with DiskFull, and retention by age and by size that deletes whole sealed segments
// unless the retention guard (the lake's committed offsets) still needs them. Every wait is bounded
// by a deadline.
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <future>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strong_int.h"
#include "log/log.h"
#include "log/log_test_util.h"

namespace lagoa::log {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace testing_util;

// True when `needle` occurs in `haystack`, ignoring ASCII case.
bool ContainsIgnoringCase(std::string haystack, std::string needle) {
  auto lower = [](std::string& s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  lower(haystack);
  lower(needle);
  return haystack.find(needle) != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// The free-space guard

TEST_F(LogTest, FreeSpaceGuardRefusesAppendsWithDiskFull) {
  options_.free_space_min_percent = 100;  // no real disk is ever 100% free
  Reopen();
  Partition* p = Create("guarded")->partition(PartitionId(0));
  std::optional<Status> refusal;
  bool before_return = false;
  ASSERT_TRUE(Eventually([&] {
    auto returned = std::make_shared<std::atomic<bool>>(false);
    auto promise = std::make_shared<std::promise<std::pair<Status, bool>>>();
    p->Append(MakeBatch("x", 1).Build(), [promise, returned](const Result<AppendResult>& r) {
      promise->set_value({r.status(), !returned->load()});
    });
    returned->store(true);
    auto f = promise->get_future();
    if (f.wait_for(kAckTimeout) != std::future_status::ready) return false;
    auto [status, early] = f.get();
    if (status.ok()) return false;
    refusal = status;
    before_return = early;
    return true;
  })) << "appends were never refused";
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->code(), StatusCode::kDiskFull) << refusal->ToString();
  EXPECT_TRUE(ContainsIgnoringCase(refusal->message(), "free space")) << refusal->ToString();
  EXPECT_TRUE(before_return) << "DiskFull must be reported before Append() returns";
  EXPECT_FALSE(log_->failed()) << "the guard is not a write failure";
}

TEST_F(LogTest, FreeSpaceGuardAlsoHonoursTheByteMinimum) {
  options_.free_space_min_bytes = 1ull << 62;  // 4 EiB
  options_.free_space_min_percent = 0;
  Reopen();
  Partition* p = Create("guarded")->partition(PartitionId(0));
  std::optional<Status> refusal;
  ASSERT_TRUE(Eventually([&] {
    auto r = AppendSync(p, MakeBatch("x", 1).Build());
    if (r.ok()) return false;
    refusal = r.status();
    return true;
  })) << "appends were never refused";
  EXPECT_EQ(refusal->code(), StatusCode::kDiskFull) << refusal->ToString();
}

TEST_F(LogTest, FreeSpaceGuardReservesHeadroomAheadOfEachAppend) {
  // No periodic check helps here: the guard must see that this append would take the free space
  // below the minimum. The minimum sits 24 MiB below what is free now, so a 1 KiB append fits and
  // a 60 MiB one does not (other processes' writes move free space by far less meanwhile).
  std::filesystem::create_directories(options_.dir);
  const std::filesystem::space_info space = std::filesystem::space(options_.dir);
  ASSERT_GT(space.available, uint64_t{1} << 30) << "the test needs 1 GiB free";
  options_.free_space_min_bytes = space.available - (uint64_t{24} << 20);
  options_.free_space_min_percent = 0;
  options_.maintenance_interval_ms = std::chrono::hours(1);
  options_.pending_bytes_max = uint64_t{256} << 20;
  Reopen();
  Partition* p = Create("headroom")->partition(PartitionId(0));
  auto small = AppendSync(p, MakeBatch("x", 1).Build());
  ASSERT_TRUE(small.ok()) << small.status().ToString();

  BatchBuilder big{SchemaVersion(1)};
  const std::string payload(10u << 20, 'b');
  for (int i = 0; i < 6; ++i) big.Add(i, AsBytes(payload));
  auto refused = AppendSync(p, std::move(big));
  EXPECT_EQ(refused.status().code(), StatusCode::kDiskFull) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("the append needs"), std::string::npos) << refused.status().ToString();
  EXPECT_FALSE(log_->failed());
  EXPECT_EQ(p->next_offset(), Offset(1)) << "nothing of the refused append may land";

  auto after = AppendSync(p, MakeBatch("y", 1).Build());
  ASSERT_TRUE(after.ok()) << "a refused append must not stop the next: " << after.status().ToString();
}

// ---------------------------------------------------------------------------------------------
// Retention

TEST_F(LogTest, RetentionByBytesDeletesOldSealedSegments) {
  options_.segment_bytes_max = 4096;
  Reopen();
  Partition* p = Create("sized", 1, RetentionPolicy{-1, 8192})->partition(PartitionId(0));
  Model model;
  AppendEach(p, ManyBatches("b", 150, 3, 40), &model);  // ~28 KB, 7+ segments
  const int64_t end = model.size();
  const uint64_t slack = 4096 + 512;  // the active segment and one batch
  ASSERT_TRUE(Eventually([&] {
    PartitionStats s = p->stats();
    return s.start_offset > Offset(0) && s.size_bytes <= 8192 + slack;
  })) << "start "
      << p->stats().start_offset.value() << " size " << p->stats().size_bytes;

  PartitionStats stats = p->stats();
  EXPECT_EQ(stats.next_offset, Offset(end));
  std::vector<SegmentFile> segments = SegmentFiles(PartitionDir("sized", 0));
  ASSERT_FALSE(segments.empty());
  EXPECT_EQ(Offset(segments.front().base), stats.start_offset) << "start_offset is the oldest file's base";
  EXPECT_EQ(stats.segment_count, segments.size());
  uint64_t on_disk = 0;
  for (const SegmentFile& seg : segments) on_disk += seg.size_bytes;
  EXPECT_EQ(stats.size_bytes, on_disk);

  auto gone = p->OpenReader(Offset(0));
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), StatusCode::kOutOfRange) << gone.status().ToString();
  ReadOutcome kept = ReadAll(p, stats.start_offset);
  ASSERT_TRUE(kept.status.ok()) << kept.status.ToString();
  model.ExpectExactly(kept.records, stats.start_offset.value(), end);

  // The log still takes appends, and a reopen keeps the trimmed start.
  Reopen();
  p = log_->FindStream("sized")->partition(PartitionId(0));
  EXPECT_GE(p->stats().start_offset, stats.start_offset);
  EXPECT_EQ(p->next_offset(), Offset(end));
}

TEST_F(LogTest, RetentionByAgeDeletesEverySealedSegmentOnceOld) {
  options_.segment_bytes_max = 2048;
  Reopen();
  Partition* p = Create("aged", 1, RetentionPolicy{100, -1})->partition(PartitionId(0));
  Model model;
  AppendEach(p, ManyBatches("b", 60, 3, 40), &model);  // several segments; deletion may start meanwhile
  const int64_t end = model.size();
  ASSERT_TRUE(Eventually([&] { return p->stats().segment_count == 1; }))
      << p->stats().segment_count << " segments left";
  std::vector<SegmentFile> segments = SegmentFiles(PartitionDir("aged", 0));
  ASSERT_EQ(segments.size(), 1u) << "the active segment stays";
  EXPECT_EQ(p->stats().start_offset, Offset(segments.front().base));
  EXPECT_GT(segments.front().base, 0);
  ReadOutcome kept = ReadAll(p, Offset(segments.front().base));
  ASSERT_TRUE(kept.status.ok()) << kept.status.ToString();
  model.ExpectExactly(kept.records, segments.front().base, end);
}

TEST_F(LogTest, RetentionGuardKeepsWhatTheLakeHasNotCommitted) {
  options_.segment_bytes_max = 2048;
  Reopen();
  struct GuardState {
    std::atomic<int64_t> kept_low{0};
    std::atomic<int> kept_calls{0};
  };
  auto guard = std::make_shared<GuardState>();
  log_->SetRetentionGuard([guard](const std::string& stream, PartitionId) {
    if (stream != "kept") return Offset(std::numeric_limits<int64_t>::max());
    guard->kept_calls.fetch_add(1);
    return Offset(guard->kept_low.load());
  });
  Partition* kept = Create("kept", 1, RetentionPolicy{50, -1})->partition(PartitionId(0));
  Partition* free = Create("free", 1, RetentionPolicy{50, -1})->partition(PartitionId(0));
  Model kept_model, free_model;
  AppendEach(kept, ManyBatches("k", 80, 3, 40), &kept_model);
  AppendEach(free, ManyBatches("f", 60, 3, 40), &free_model);
  const uint64_t kept_segments = kept->stats().segment_count;
  ASSERT_GE(kept_segments, 4u);

  // The unguarded stream is trimmed; the guarded one, asked several times since, keeps all.
  ASSERT_TRUE(Eventually([&] { return free->stats().start_offset > Offset(0); }));
  const int calls = guard->kept_calls.load();
  ASSERT_TRUE(Eventually([&] { return guard->kept_calls.load() >= calls + 3; }))
      << "the guard is not consulted for the guarded stream";
  EXPECT_EQ(kept->stats().start_offset, Offset(0));
  EXPECT_EQ(kept->stats().segment_count, kept_segments);
  ReadOutcome all = ReadAll(kept, Offset(0));
  ASSERT_TRUE(all.status.ok()) << all.status.ToString();
  kept_model.ExpectExactly(all.records, 0, kept_model.size());

  // The lake commits up to a middle offset: segments wholly below it may go, its segment stays.
  const int64_t middle = kept_model.size() / 2;
  guard->kept_low = middle;
  ASSERT_TRUE(Eventually([&] { return kept->stats().start_offset > Offset(0); }));
  const int calls2 = guard->kept_calls.load();
  ASSERT_TRUE(Eventually([&] { return guard->kept_calls.load() >= calls2 + 3; }));
  EXPECT_LE(kept->stats().start_offset, Offset(middle));
  ReadOutcome rest = ReadAll(kept, Offset(middle));
  ASSERT_TRUE(rest.status.ok()) << rest.status.ToString();
  kept_model.ExpectExactly(rest.records, middle, kept_model.size());
}

}  // namespace
}  // namespace lagoa::log
