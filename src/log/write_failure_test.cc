// A failed write(2) is undone and the log goes on (README.md, "Contract"): the test makes writes
// fail for real with RLIMIT_FSIZE (EFBIG, after a short write at the limit), the way a full disk
// fails them with ENOSPC, then lifts the limit. Appends during the failure fail and leave nothing
// behind; appends after it continue at the same offsets, a retried producer key is stored (not
// answered as a duplicate of the failed try), and everything acknowledged survives a reopen.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <string>

#include "log/log.h"
#include "log/log_test_util.h"

namespace lagoa::log {
namespace {

using namespace testing_util;
namespace fs = std::filesystem;

// Lowers the soft file-size limit of the process while it lives; SIGXFSZ is ignored, so writes
// past the limit fail with EFBIG instead of killing the test.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(uint64_t bytes) {
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &saved_);
    rlimit lowered = saved_;
    lowered.rlim_cur = bytes;
    EXPECT_EQ(setrlimit(RLIMIT_FSIZE, &lowered), 0);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, previous_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit saved_{};
  void (*previous_handler_)(int) = nullptr;
};

BatchBuilder Keyed(const std::string& tag, int records, const std::string& key) {
  BatchBuilder b = MakeBatch(tag, records, 200).Build();
  if (!key.empty()) b.set_producer_key(key);
  return b;
}

TEST_F(LogTest, AFailedWriteIsUndoneAndTheLogGoesOn) {
  Reopen();
  Partition* p = Create("events")->partition(PartitionId(0));
  ASSERT_TRUE(AppendSync(p, Keyed("before", 5, "k-before")).ok());
  const fs::path segment = PartitionDir("events") / SegmentFileName(0);
  const uint64_t acknowledged_bytes = fs::file_size(segment);

  Status refused;
  {
    // Room for a part of the next batch: the write is short, then fails.
    FileSizeLimit limit(acknowledged_bytes + 300);
    auto r = AppendSync(p, Keyed("during", 5, "k-during"));
    ASSERT_FALSE(r.ok()) << "the write past the limit was acknowledged";
    refused = r.status();
    EXPECT_FALSE(log_->failed()) << "a failed write must not stop the log: " << refused.ToString();
    EXPECT_EQ(fs::file_size(segment), acknowledged_bytes) << "the short write was not cut off";
    EXPECT_EQ(p->next_offset(), Offset(5));
  }
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable) << refused.ToString();
  EXPECT_NE(refused.message().find("retry"), std::string::npos) << refused.ToString();

  // The retry of the failed append is stored, at the offsets the failed try would have had.
  auto retried = AppendSync(p, Keyed("during", 5, "k-during"));
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_FALSE(retried->duplicate) << "the failed try's key must be forgotten";
  EXPECT_EQ(retried->first_offset, Offset(5));
  auto again = AppendSync(p, Keyed("during", 5, "k-during"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->first_offset, Offset(5));

  // Across a reopen: both batches, dense, and both keys.
  Reopen();
  p = log_->FindStream("events")->partition(PartitionId(0));
  EXPECT_EQ(p->next_offset(), Offset(10));
  ReadOutcome read = ReadAll(p, Offset(0));
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  ASSERT_EQ(read.records.size(), 10u);
  for (size_t i = 0; i < read.records.size(); ++i) EXPECT_EQ(read.records[i].offset, static_cast<int64_t>(i));
  auto before = AppendSync(p, Keyed("before", 5, "k-before"));
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_TRUE(before->duplicate);
  EXPECT_EQ(before->first_offset, Offset(0));
}

TEST_F(LogTest, AFailedKeyJournalWriteIsUndoneToo) {
  Reopen();
  Partition* p = Create("events")->partition(PartitionId(0));
  ASSERT_TRUE(AppendSync(p, Keyed("first", 2, "k1")).ok());
  const fs::path journal = PartitionDir("events") / "producer_keys";
  ASSERT_TRUE(fs::exists(journal));
  const uint64_t journal_bytes = fs::file_size(journal);
  {
    // The journal entry is written before the batch; let only a few bytes of it through.
    FileSizeLimit limit(journal_bytes + 10);
    auto r = AppendSync(p, Keyed("second", 2, "k2-with-a-long-key-" + std::string(60, 'x')));
    ASSERT_FALSE(r.ok());
    EXPECT_FALSE(log_->failed()) << r.status().ToString();
  }
  EXPECT_EQ(fs::file_size(journal), journal_bytes) << "the torn journal entry was not cut off";
  ASSERT_TRUE(AppendSync(p, Keyed("third", 2, "k3")).ok());
  Reopen();  // a torn entry followed by another would read as Corruption here
  p = log_->FindStream("events")->partition(PartitionId(0));
  EXPECT_EQ(p->next_offset(), Offset(4));
  auto third = AppendSync(p, Keyed("third", 2, "k3"));
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_TRUE(third->duplicate);
}

}  // namespace
}  // namespace lagoa::log
