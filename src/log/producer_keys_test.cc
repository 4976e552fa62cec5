// Producer keys: an append whose key the partition remembers appends nothing and answers the
// first append's offsets — within one group commit, across restarts, and never for a batch that
// recovery cut off (its offsets are handed out again).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "log/log.h"
#include "log/log_test_util.h"

namespace lagoa::log {
namespace {

namespace fs = std::filesystem;
using namespace testing_util;

BatchBuilder Keyed(const std::string& tag, int records, const std::string& key) {
  BatchBuilder batch = MakeBatch(tag, records).Build();
  batch.set_producer_key(key);
  return batch;
}

class ProducerKeyTest : public LogTest {
 protected:
  void SetUp() override {
    LogTest::SetUp();
    Reopen();
  }
  Partition* P() { return log_->FindStream("s")->partition(PartitionId(0)); }
};

TEST_F(ProducerKeyTest, ARetryWithTheSameKeyAppendsNothingAndAnswersTheFirstOffsets) {
  ASSERT_NE(Create("s"), nullptr);
  auto first = AppendSync(P(), Keyed("a", 3, "k1"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->duplicate);
  auto retry = AppendSync(P(), Keyed("a-again", 5, "k1"));
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->first_offset, Offset(0));
  EXPECT_EQ(retry->last_offset, Offset(2));
  EXPECT_EQ(P()->next_offset(), Offset(3));
  auto other = AppendSync(P(), Keyed("b", 1, "k2"));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->first_offset, Offset(3));
  auto unkeyed = AppendSync(P(), MakeBatch("c", 1).Build());
  ASSERT_TRUE(unkeyed.ok());
  EXPECT_EQ(unkeyed->first_offset, Offset(4));
  ReadOutcome read = ReadAll(P(), Offset(0));
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  EXPECT_EQ(read.records.size(), 5u);
}

TEST_F(ProducerKeyTest, TheSameKeyTwiceInFlightIsAppendedOnce) {
  ASSERT_NE(Create("s"), nullptr);
  auto tracker = std::make_shared<AppendTracker>();
  constexpr int kTries = 8;
  tracker->results.resize(kTries);
  tracker->ran_before_return.resize(kTries);
  for (int i = 0; i < kTries; ++i) {
    P()->Append(Keyed("x", 2, "same"), [tracker, i](Result<AppendResult> r) {
      std::lock_guard lock(tracker->mu);
      tracker->results[i] = std::move(r);
      ++tracker->done;
      tracker->cv.notify_all();
    });
  }
  ASSERT_TRUE(tracker->WaitAll(kAckTimeout));
  int appended = 0;
  for (const auto& r : tracker->results) {
    ASSERT_TRUE(r.has_value() && r->ok());
    EXPECT_EQ((*r)->first_offset, Offset(0));
    if (!(*r)->duplicate) ++appended;
  }
  EXPECT_EQ(appended, 1);
  EXPECT_EQ(P()->next_offset(), Offset(2));
}

TEST_F(ProducerKeyTest, KeysSurviveARestart) {
  ASSERT_NE(Create("s"), nullptr);
  ASSERT_TRUE(AppendSync(P(), Keyed("a", 2, "before")).ok());
  Reopen();
  auto retry = AppendSync(P(), Keyed("a", 2, "before"));
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->last_offset, Offset(1));
  EXPECT_EQ(P()->next_offset(), Offset(2));
}

TEST_F(ProducerKeyTest, TheKeyOfABatchRecoveryCutOffIsForgotten) {
  ASSERT_NE(Create("s"), nullptr);
  ASSERT_TRUE(AppendSync(P(), Keyed("kept", 2, "k-kept")).ok());
  ASSERT_TRUE(AppendSync(P(), Keyed("torn", 2, "k-torn")).ok());
  CloseLog();
  // A torn tail: the last batch lost its last byte, as if the machine died mid-write.
  const fs::path segment = PartitionDir("s") / SegmentFileName(0);
  fs::resize_file(segment, fs::file_size(segment) - 1);
  Reopen();
  ASSERT_EQ(P()->next_offset(), Offset(2));
  auto torn = AppendSync(P(), Keyed("torn", 2, "k-torn"));
  ASSERT_TRUE(torn.ok());
  EXPECT_FALSE(torn->duplicate) << "offsets 2-3 no longer hold the batch the key named";
  EXPECT_EQ(torn->first_offset, Offset(2));
  auto kept = AppendSync(P(), Keyed("kept", 2, "k-kept"));
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->duplicate);
  EXPECT_EQ(kept->first_offset, Offset(0));
}

TEST_F(ProducerKeyTest, AtMostKeysMaxAreRememberedAndTheJournalStaysSmall) {
  options_.producer_keys_max = 10;
  options_.durability = Durability::kNone;
  Reopen();
  ASSERT_NE(Create("s"), nullptr);
  constexpr int kKeys = 6000;
  for (int i = 0; i < kKeys; ++i) ASSERT_TRUE(AppendSync(P(), Keyed("r", 1, "key-" + std::to_string(i))).ok());
  auto oldest = AppendSync(P(), Keyed("r", 1, "key-0"));
  ASSERT_TRUE(oldest.ok());
  EXPECT_FALSE(oldest->duplicate) << "key-0 is older than the 10 newest keys";
  auto newest = AppendSync(P(), Keyed("r", 1, "key-" + std::to_string(kKeys - 1)));
  ASSERT_TRUE(newest.ok());
  EXPECT_TRUE(newest->duplicate);
  // Compacted once it holds 4,096 entries more than twice the keys kept: 6,000 appends wrote one.
  const uint64_t journal_bytes = fs::file_size(PartitionDir("s") / "producer_keys");
  EXPECT_LT(journal_bytes, 4200u * 40u) << "the journal grows with every key ever used";
  Reopen();
  auto after = AppendSync(P(), Keyed("r", 1, "key-" + std::to_string(kKeys - 1)));
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->duplicate);
}

TEST_F(ProducerKeyTest, KeysOlderThanTheWindowAreForgottenAtRestart) {
  ASSERT_NE(Create("s"), nullptr);
  ASSERT_TRUE(AppendSync(P(), Keyed("a", 1, "old")).ok());
  options_.producer_key_window_ms = std::chrono::milliseconds(0);
  Reopen();
  auto retry = AppendSync(P(), Keyed("a", 1, "old"));
  ASSERT_TRUE(retry.ok());
  EXPECT_FALSE(retry->duplicate);
  EXPECT_EQ(retry->first_offset, Offset(1));
}

}  // namespace
}  // namespace lagoa::log
