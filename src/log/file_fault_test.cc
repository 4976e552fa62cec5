// The log under injected file faults (base/file_faults.h), one fault point at a time: a segment's
// fdatasync, a write to a segment or to the producer-key journal, every write cut short, a segment
// roll's create and directory sync, the sealed segment's index, and the renames that create and
// drop a stream. Each either completes or fails with an error naming the file (README.md,
// "Contract"), and whatever was acknowledged reads back after a reopen, offsets dense.
// Rules name the files they hit by glob, so a rule never reaches the files of another stage, and
// the fixture clears them after every test.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/file_faults.h"
#include "base/status.h"
#include "base/strong_int.h"
#include "log/log.h"
#include "log/log_test_util.h"

namespace lagoa::log {
namespace {

using namespace testing_util;
namespace fs = std::filesystem;

// Bytes of payload per record in the roll tests: three records make a batch of about 370 bytes,
// so a segment of kTinySegmentBytes rolls after a few appends.
constexpr size_t kPadBytes = 100;
constexpr uint64_t kTinySegmentBytes = 1024;

class LogFileFaultTest : public LogTest {
 protected:
  void TearDown() override {
    EXPECT_TRUE(SetFileFaults("").ok());
    LogTest::TearDown();
  }

  static void Fault(const std::string& rules) { ASSERT_TRUE(SetFileFaults(rules).ok()) << rules; }
  static void ClearFaults() { ASSERT_TRUE(SetFileFaults("").ok()); }

  Partition* FindPartition(const std::string& stream) {
    Stream* s = log_->FindStream(stream);
    EXPECT_NE(s, nullptr) << "stream " << stream << " is gone";
    return s != nullptr ? s->partition(PartitionId(0)) : nullptr;
  }
};

BatchBuilder Keyed(const TestBatch& batch, const std::string& key) {
  BatchBuilder b = batch.Build();
  b.set_producer_key(key);
  return b;
}

// Appends `batch` with `key` (none when empty), waits, and records it in `model`.
void AppendAcked(Partition* p, const TestBatch& batch, const std::string& key, Model* model) {
  const int64_t before = WallNowMicros();
  auto r = AppendSync(p, key.empty() ? batch.Build() : Keyed(batch, key));
  const int64_t after = WallNowMicros();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->duplicate) << key;
  model->Add(*r, batch, before, after);
}

// Appends batches until the partition's first segment has reached `bytes`: the next append rolls.
void FillFirstSegment(Partition* p, const fs::path& partition_dir, uint64_t bytes, Model* model) {
  const fs::path first = partition_dir / SegmentFileName(0);
  for (int i = 0; fs::file_size(first) < bytes; ++i) {
    ASSERT_LT(i, 100) << "the segment never filled";
    AppendAcked(p, MakeBatch("fill" + std::to_string(i), 3, kPadBytes), "", model);
  }
  ASSERT_EQ(SegmentFiles(partition_dir).size(), 1u) << "the segment rolled before the fault was set";
}

// Everything the partition holds from offset 0, after checking that the read succeeded and that
// the offsets are dense.
std::vector<Rec> ReadDense(Partition* p) {
  ReadOutcome read = ReadAll(p, Offset(0));
  EXPECT_TRUE(read.status.ok()) << read.status.ToString();
  for (size_t i = 0; i < read.records.size(); ++i) {
    EXPECT_EQ(read.records[i].offset, static_cast<int64_t>(i)) << "offsets are not dense";
  }
  return read.records;
}

// The acknowledged records, exactly, as the first model.size() records of `records`.
void ExpectAcknowledgedPrefix(const std::vector<Rec>& records, const Model& model) {
  ASSERT_GE(static_cast<int64_t>(records.size()), model.size()) << "acknowledged records are missing";
  model.ExpectExactly(std::vector<Rec>(records.begin(), records.begin() + model.size()), 0, model.size());
}

bool Contains(const Status& s, const std::string& fragment) { return s.message().find(fragment) != std::string::npos; }

// ---------------------------------------------------------------------------------------------
// A segment's fdatasync

TEST_F(LogFileFaultTest, ASegmentSyncFailingStopsTheLogAndKeepsEveryAcknowledgedRecord) {
  Reopen();
  Partition* p = Create("events")->partition(PartitionId(0));
  Model model;
  for (int i = 0; i < 4; ++i)
    AppendAcked(p, MakeBatch("acked" + std::to_string(i), 3, 40), "k" + std::to_string(i), &model);
  const fs::path segment = PartitionDir("events") / SegmentFileName(0);

  Fault("op=sync,do=EIO,path=*/events/0/*.log");
  const TestBatch unacked = MakeBatch("unacked", 3, 40);
  auto failed = AppendSync(p, Keyed(unacked, "k-unacked"));
  ASSERT_FALSE(failed.ok()) << "an append whose sync failed was acknowledged";
  EXPECT_EQ(FileFaultsHit(), 1u);
  const Status& refused = failed.status();
  EXPECT_EQ(StatusCodeName(refused.code()), StatusCodeName(StatusCode::kUnavailable)) << refused.ToString();
  EXPECT_TRUE(Contains(refused, "fdatasync " + segment.string() + ": Input/output error")) << refused.ToString();
  EXPECT_TRUE(Contains(refused, "stopped accepting writes"))
      << "the error must say the log stopped: " << refused.ToString();
  EXPECT_TRUE(log_->failed());
  EXPECT_EQ(p->next_offset(), Offset(model.size())) << "an unacknowledged batch became readable";

  // Fail-stop: with the fault gone, writes stay refused until a restart, and say why.
  ClearFaults();
  auto later = AppendSync(p, MakeBatch("later", 1).Build());
  ASSERT_FALSE(later.ok()) << "the log took a write after a failed sync";
  EXPECT_EQ(StatusCodeName(later.status().code()), StatusCodeName(StatusCode::kUnavailable))
      << later.status().ToString();
  EXPECT_TRUE(Contains(later.status(), segment.string())) << later.status().ToString();
  EXPECT_TRUE(Contains(later.status(), "restarted")) << later.status().ToString();
  ExpectAcknowledgedPrefix(ReadDense(p), model);

  // After a restart: every acknowledged record, offsets dense; the unacknowledged batch may be
  // there (its bytes reached the file), but a retry under its key never stores it twice.
  Reopen();
  p = FindPartition("events");
  ASSERT_NE(p, nullptr);
  ExpectAcknowledgedPrefix(ReadDense(p), model);
  auto retried = AppendSync(p, Keyed(unacked, "k-unacked"));
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(retried->first_offset, Offset(model.size()));
  const std::vector<Rec> records = ReadDense(p);
  ExpectAcknowledgedPrefix(records, model);
  EXPECT_EQ(static_cast<int64_t>(records.size()), model.size() + 3) << "the retried batch is stored once";
  for (size_t i = 0; i < unacked.items.size() && model.size() + i < records.size(); ++i) {
    EXPECT_EQ(records[model.size() + i].payload, unacked.items[i].payload);
  }
}

// ---------------------------------------------------------------------------------------------
// A write failing with ENOSPC is undone and the log goes on

// Appends a keyed batch (offsets 0-4), sets `rule` (a write failing with ENOSPC on `failing_file`),
// appends another and checks the README's contract for a failed write: the append fails with
// DiskFull naming the file, the segment and the key journal are cut back, the log goes on and a
// retry is stored at the failed try's offsets (5-9). The callers check both across a reopen.
void ExpectEnospcWriteUndone(Log* log, Partition* p, const std::string& rule, const fs::path& failing_file,
                             const fs::path& partition_dir) {
  auto first = AppendSync(p, Keyed(MakeBatch("before", 5, 100), "k-before"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const fs::path segment = partition_dir / SegmentFileName(0);
  const fs::path journal = partition_dir / "producer_keys";
  const uint64_t segment_bytes = fs::file_size(segment);
  const uint64_t journal_bytes = fs::file_size(journal);

  ASSERT_TRUE(SetFileFaults(rule).ok()) << rule;
  const TestBatch during = MakeBatch("during", 5, 100);
  auto failed = AppendSync(p, Keyed(during, "k-during"));
  ASSERT_FALSE(failed.ok()) << "an append whose write failed was acknowledged";
  EXPECT_EQ(FileFaultsHit(), 1u);
  const Status& refused = failed.status();
  EXPECT_TRUE(Contains(refused, "write " + failing_file.string() + ": No space left on device")) << refused.ToString();
  EXPECT_TRUE(Contains(refused, "nothing of it was kept")) << refused.ToString();
  EXPECT_TRUE(Contains(refused, "retry")) << refused.ToString();
  // README.md, "Contract": a failed write's appends fail with "`DiskFull` for ENOSPC, else `Unavailable`".
  EXPECT_EQ(StatusCodeName(refused.code()), StatusCodeName(StatusCode::kDiskFull))
      << "ENOSPC must answer DiskFull: " << refused.ToString();
  EXPECT_FALSE(log->failed()) << "a failed write must not stop the log: " << refused.ToString();
  EXPECT_EQ(fs::file_size(segment), segment_bytes) << "the segment was not cut back";
  EXPECT_EQ(fs::file_size(journal), journal_bytes) << "the key journal was not cut back";
  EXPECT_EQ(p->next_offset(), Offset(5));

  // The fault passes (rule times=1): the retry is stored, at the failed try's offsets, once.
  auto retried = AppendSync(p, Keyed(during, "k-during"));
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_FALSE(retried->duplicate) << "the failed try's key must be forgotten";
  EXPECT_EQ(retried->first_offset, Offset(5));
  auto again = AppendSync(p, Keyed(during, "k-during"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->first_offset, Offset(5));
}

TEST_F(LogFileFaultTest, ASegmentWriteFailingWithEnospcIsUndoneAndTheRetryTakesTheSameOffsets) {
  Reopen();
  Partition* p = Create("events")->partition(PartitionId(0));
  ASSERT_NO_FATAL_FAILURE(ExpectEnospcWriteUndone(log_.get(), p, "op=write,do=ENOSPC,path=*/events/0/*.log",
                                                  PartitionDir("events") / SegmentFileName(0), PartitionDir("events")));
  ClearFaults();
  Reopen();
  p = FindPartition("events");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->next_offset(), Offset(10));
  const std::vector<Rec> records = ReadDense(p);
  ASSERT_EQ(records.size(), 10u);
  EXPECT_EQ(records[0].payload, MakeBatch("before", 5, 100).items[0].payload);
  EXPECT_EQ(records[5].payload, MakeBatch("during", 5, 100).items[0].payload);
  for (const char* key : {"k-before", "k-during"}) {
    auto dup = AppendSync(p, Keyed(MakeBatch("x", 1), key));
    ASSERT_TRUE(dup.ok()) << dup.status().ToString();
    EXPECT_TRUE(dup->duplicate) << key << " was forgotten across the reopen";
  }
}

TEST_F(LogFileFaultTest, AKeyJournalWriteFailingWithEnospcIsUndoneAndTheRetryTakesTheSameOffsets) {
  Reopen();
  Partition* p = Create("events")->partition(PartitionId(0));
  ASSERT_NO_FATAL_FAILURE(ExpectEnospcWriteUndone(log_.get(), p, "op=write,do=ENOSPC,path=*/events/0/producer_keys",
                                                  PartitionDir("events") / "producer_keys", PartitionDir("events")));
  ClearFaults();
  Reopen();  // a torn journal entry followed by another would read as Corruption here
  p = FindPartition("events");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->next_offset(), Offset(10));
  ASSERT_EQ(ReadDense(p).size(), 10u);
  for (const char* key : {"k-before", "k-during"}) {
    auto dup = AppendSync(p, Keyed(MakeBatch("x", 1), key));
    ASSERT_TRUE(dup.ok()) << dup.status().ToString();
    EXPECT_TRUE(dup->duplicate) << key << " was forgotten across the reopen";
  }
}

// ---------------------------------------------------------------------------------------------
// Short writes

TEST_F(LogFileFaultTest, WritesCutShortStillStoreEveryByteAcrossRollsAndAReopen) {
  options_.segment_bytes_max = 4096;
  Reopen();
  Fault("op=write,times=0,do=short");  // the stream's meta file, segments, indexes, key journal
  Partition* p = Create("events")->partition(PartitionId(0));
  ASSERT_NE(p, nullptr);
  Model model;
  const std::vector<TestBatch> one_by_one = ManyBatches("single", 30, 3, 60);
  for (size_t i = 0; i < one_by_one.size(); ++i) {
    AppendAcked(p, one_by_one[i], i % 2 == 0 ? "key-" + std::to_string(i) : "", &model);
  }
  AppendAll(p, ManyBatches("grouped", 40, 2, 80), &model);
  EXPECT_GE(FileFaultsHit(), 100u) << "the rule did not reach the log's writes";
  ASSERT_FALSE(log_->failed());
  ASSERT_GE(SegmentFiles(PartitionDir("events")).size(), 3u) << "no roll happened";
  ExpectAcknowledgedPrefix(ReadDense(p), model);

  CloseLog();
  std::vector<SegmentFile> before = SegmentFiles(PartitionDir("events"));
  ClearFaults();
  Reopen();
  p = FindPartition("events");
  ASSERT_NE(p, nullptr);
  std::vector<SegmentFile> after = SegmentFiles(PartitionDir("events"));
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].size_bytes, before[i].size_bytes) << "recovery cut a torn write off " << after[i].path;
  }
  const std::vector<Rec> records = ReadDense(p);
  EXPECT_EQ(static_cast<int64_t>(records.size()), model.size());
  ExpectAcknowledgedPrefix(records, model);
  for (size_t i = 0; i < one_by_one.size(); i += 2) {
    auto dup = AppendSync(p, Keyed(one_by_one[i], "key-" + std::to_string(i)));
    ASSERT_TRUE(dup.ok()) << dup.status().ToString();
    EXPECT_TRUE(dup->duplicate) << "key-" << i << " did not survive short writes and a reopen";
  }
}

// ---------------------------------------------------------------------------------------------
// A segment roll: creating the next segment

// After a failed roll the log is fail-stop (README.md, "Contract": the log fails stop when "a
// segment was sealed during the cycle"): with the fault gone, appends are still refused, with an
// error that says so and names `file`.
void ExpectFailStop(Log* log, Partition* p, const fs::path& file) {
  EXPECT_TRUE(log->failed()) << "a failed roll must stop the log (its segment was sealed)";
  ASSERT_TRUE(SetFileFaults("").ok());
  auto later = AppendSync(p, MakeBatch("later", 1).Build());
  ASSERT_FALSE(later.ok()) << "the log took a write after a failed roll";
  EXPECT_EQ(StatusCodeName(later.status().code()), StatusCodeName(StatusCode::kUnavailable))
      << later.status().ToString();
  EXPECT_TRUE(Contains(later.status(), "stopped accepting writes")) << later.status().ToString();
  EXPECT_TRUE(Contains(later.status(), file.string())) << later.status().ToString();
}

// After the restart: every acknowledged record, nothing unacknowledged, and appends continue in a
// new segment at the next offset.
void ExpectAppendsContinueAfterReopen(Partition* p, const fs::path& partition_dir, Model* model) {
  ExpectAcknowledgedPrefix(ReadDense(p), *model);
  EXPECT_EQ(p->next_offset(), Offset(model->size())) << "a batch nobody acknowledged came back";
  const int64_t next = model->size();
  AppendAcked(p, MakeBatch("after", 3, kPadBytes), "", model);
  std::vector<SegmentFile> segments = SegmentFiles(partition_dir);
  ASSERT_EQ(segments.size(), 2u);
  EXPECT_EQ(segments.back().base, next) << "the new segment does not start at the next offset";
  const std::vector<Rec> records = ReadDense(p);
  EXPECT_EQ(static_cast<int64_t>(records.size()), model->size());
  ExpectAcknowledgedPrefix(records, *model);
}

TEST_F(LogFileFaultTest, ASegmentCreateFailingWithEmfileAtARollStopsTheLogAndLosesNothing) {
  options_.segment_bytes_max = kTinySegmentBytes;
  Reopen();
  Partition* p = Create("events")->partition(PartitionId(0));
  Model model;
  ASSERT_NO_FATAL_FAILURE(FillFirstSegment(p, PartitionDir("events"), kTinySegmentBytes, &model));
  const fs::path next_segment = PartitionDir("events") / SegmentFileName(model.size());

  Fault("op=open,do=EMFILE,path=*/events/0/*.log");
  auto failed = AppendSync(p, MakeBatch("rolls", 3, kPadBytes).Build());
  ASSERT_FALSE(failed.ok()) << "an append that needed a new segment was acknowledged without one";
  EXPECT_EQ(FileFaultsHit(), 1u);
  EXPECT_TRUE(Contains(failed.status(), "create " + next_segment.string() + ": Too many open files"))
      << failed.status().ToString();
  EXPECT_FALSE(fs::exists(next_segment));
  EXPECT_EQ(p->next_offset(), Offset(model.size()));
  ASSERT_NO_FATAL_FAILURE(ExpectFailStop(log_.get(), p, next_segment));
  ExpectAcknowledgedPrefix(ReadDense(p), model);

  Reopen();
  p = FindPartition("events");
  ASSERT_NE(p, nullptr);
  ASSERT_NO_FATAL_FAILURE(ExpectAppendsContinueAfterReopen(p, PartitionDir("events"), &model));
}

TEST_F(LogFileFaultTest, ASegmentCreateFailingAtItsDirectorySyncStopsTheLogAndLosesNothing) {
  options_.segment_bytes_max = kTinySegmentBytes;
  Reopen();
  Partition* p = Create("events")->partition(PartitionId(0));
  Model model;
  ASSERT_NO_FATAL_FAILURE(FillFirstSegment(p, PartitionDir("events"), kTinySegmentBytes, &model));
  const fs::path dir = PartitionDir("events");
  const fs::path next_segment = dir / SegmentFileName(model.size());

  // A roll syncs the partition directory twice: after the index's rename (sealing), then after
  // creating the next segment. The second fails.
  Fault("op=sync,nth=2,do=EIO,path=*/events/0");
  auto failed = AppendSync(p, MakeBatch("rolls", 3, kPadBytes).Build());
  ASSERT_FALSE(failed.ok()) << "an append was acknowledged on a segment whose creation is not durable";
  EXPECT_EQ(FileFaultsHit(), 1u);
  EXPECT_TRUE(Contains(failed.status(), "fsync " + dir.string() + ": Input/output error"))
      << failed.status().ToString();
  EXPECT_TRUE(fs::exists(next_segment)) << "the fault did not hit the new segment's directory sync";
  EXPECT_EQ(p->next_offset(), Offset(model.size()));
  ASSERT_NO_FATAL_FAILURE(ExpectFailStop(log_.get(), p, dir));
  ExpectAcknowledgedPrefix(ReadDense(p), model);

  Reopen();
  p = FindPartition("events");
  ASSERT_NE(p, nullptr);
  ASSERT_NO_FATAL_FAILURE(ExpectAppendsContinueAfterReopen(p, dir, &model));
}

// ---------------------------------------------------------------------------------------------
// A sealed segment's index (written with WriteFileAtomically at the roll)

TEST_F(LogFileFaultTest, TheIndexFailingToBeWrittenAtASealIsRebuiltAndLosesNothing) {
  options_.segment_bytes_max = kTinySegmentBytes;
  const struct {
    const char* stream;
    const char* rule;  // %s: the partition directory's glob
  } cases[] = {
      {"index-write", "op=write,do=ENOSPC,path=%s/*.index.tmp"},
      {"index-sync", "op=sync,do=EIO,path=%s/*.index.tmp"},
      {"index-rename", "op=rename,do=EIO,path=%s/*.index"},
      {"index-dir-sync", "op=sync,do=EIO,path=%s"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.stream);
    ClearFaults();
    Reopen();
    Partition* p = Create(c.stream)->partition(PartitionId(0));
    ASSERT_NE(p, nullptr);
    const fs::path dir = PartitionDir(c.stream);
    Model model;
    ASSERT_NO_FATAL_FAILURE(FillFirstSegment(p, dir, kTinySegmentBytes, &model));

    std::string rule = c.rule;
    rule.replace(rule.find("%s"), 2, "*/" + std::string(c.stream) + "/0");
    Fault(rule);
    // The index only speeds up opening (README.md, "On-disk format"): the roll goes on without it.
    ASSERT_NO_FATAL_FAILURE(AppendAcked(p, MakeBatch("rolls", 3, kPadBytes), "", &model));
    EXPECT_EQ(FileFaultsHit(), 1u) << rule;
    EXPECT_FALSE(log_->failed()) << "an index that could not be written stopped the log";
    EXPECT_EQ(SegmentFiles(dir).size(), 2u) << "the segment did not roll";
    EXPECT_FALSE(fs::exists(dir / "00000000000000000000.index.tmp")) << "a failed index write left its temporary file";
    ClearFaults();
    ASSERT_NO_FATAL_FAILURE(AppendAcked(p, MakeBatch("after", 3, kPadBytes), "", &model));
    ExpectAcknowledgedPrefix(ReadDense(p), model);

    Reopen();  // the index is missing or stale: recovery rebuilds it from the segment
    p = FindPartition(c.stream);
    ASSERT_NE(p, nullptr);
    const std::vector<Rec> records = ReadDense(p);
    EXPECT_EQ(static_cast<int64_t>(records.size()), model.size());
    ExpectAcknowledgedPrefix(records, model);
  }
}

// ---------------------------------------------------------------------------------------------
// Creating and dropping a stream

TEST_F(LogFileFaultTest, CreateStreamFailingAtARenameReturnsTheErrorAndLeavesNoStream) {
  Reopen();
  const fs::path final_dir = options_.dir / "events";
  const fs::path building = options_.dir / ".creating-events";
  const struct {
    const char* rule;
    fs::path named;
  } cases[] = {
      // The stream's meta file, replaced atomically inside the directory being built.
      {"op=rename,do=EIO,path=*/.creating-events/stream.meta", building / "stream.meta"},
      // The directory, renamed to its final name.
      {"op=rename,do=EIO,path=*/log/events", final_dir},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.rule);
    Fault(c.rule);
    auto created = log_->CreateStream("events", StreamOptions{});
    ASSERT_FALSE(created.ok()) << "CreateStream succeeded though its rename failed";
    EXPECT_EQ(FileFaultsHit(), 1u);
    EXPECT_EQ(StatusCodeName(created.status().code()), StatusCodeName(StatusCode::kIoError))
        << created.status().ToString();
    EXPECT_TRUE(Contains(created.status(), "rename ")) << created.status().ToString();
    EXPECT_TRUE(Contains(created.status(), c.named.string())) << created.status().ToString();
    EXPECT_TRUE(Contains(created.status(), "Input/output error")) << created.status().ToString();
    ClearFaults();
    EXPECT_EQ(log_->FindStream("events"), nullptr);
    EXPECT_TRUE(log_->ListStreams().empty());
    EXPECT_FALSE(fs::exists(final_dir));
    EXPECT_FALSE(fs::exists(building)) << "a failed create left its half-built directory";
  }

  Reopen();
  EXPECT_EQ(log_->FindStream("events"), nullptr) << "a failed create came back after a reopen";
  EXPECT_TRUE(log_->ListStreams().empty());
  Stream* s = Create("events");
  ASSERT_NE(s, nullptr);
  Model model;
  AppendAcked(s->partition(PartitionId(0)), MakeBatch("created", 4), "", &model);
  Reopen();
  Partition* p = FindPartition("events");
  ASSERT_NE(p, nullptr);
  const std::vector<Rec> records = ReadDense(p);
  EXPECT_EQ(static_cast<int64_t>(records.size()), model.size());
  ExpectAcknowledgedPrefix(records, model);
}

TEST_F(LogFileFaultTest, DropStreamFailingAtItsRenameKeepsTheStreamWorking) {
  Reopen();
  Stream* stream = Create("events");
  ASSERT_NE(stream, nullptr);
  Partition* p = stream->partition(PartitionId(0));
  Model model;
  for (int i = 0; i < 3; ++i)
    AppendAcked(p, MakeBatch("before" + std::to_string(i), 2), "k" + std::to_string(i), &model);
  const fs::path dir = options_.dir / "events";

  Fault("op=rename,do=EIO,path=*/log/.dropped-events-*");
  Status dropped = log_->DropStream("events");
  ASSERT_FALSE(dropped.ok()) << "DropStream succeeded though its rename failed";
  EXPECT_EQ(FileFaultsHit(), 1u);
  EXPECT_TRUE(Contains(dropped, "rename " + dir.string() + " to ")) << dropped.ToString();
  EXPECT_TRUE(Contains(dropped, "Input/output error")) << dropped.ToString();
  ClearFaults();

  EXPECT_EQ(log_->FindStream("events"), stream) << "the stream is gone though its drop failed";
  EXPECT_TRUE(fs::exists(dir / "stream.meta"));
  AppendAcked(p, MakeBatch("after", 2), "k-after", &model);
  auto dup = AppendSync(p, Keyed(MakeBatch("x", 1), "k0"));
  ASSERT_TRUE(dup.ok()) << dup.status().ToString();
  EXPECT_TRUE(dup->duplicate) << "the stream forgot its producer keys";
  std::vector<Rec> records = ReadDense(p);
  EXPECT_EQ(static_cast<int64_t>(records.size()), model.size());
  ExpectAcknowledgedPrefix(records, model);

  Reopen();
  p = FindPartition("events");
  ASSERT_NE(p, nullptr);
  records = ReadDense(p);
  EXPECT_EQ(static_cast<int64_t>(records.size()), model.size());
  ExpectAcknowledgedPrefix(records, model);
  ASSERT_TRUE(log_->DropStream("events").ok()) << "the drop cannot be tried again";
  Reopen();
  EXPECT_EQ(log_->FindStream("events"), nullptr);
  EXPECT_FALSE(fs::exists(dir));
}

}  // namespace
}  // namespace lagoa::log
