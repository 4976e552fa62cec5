// Helpers shared by the log's tests (batch_test.cc, log_test.cc, group_commit_test.cc,
// retention_test.cc, recovery_test.cc): per-test directories, the log fixtures, building and
// appending batches, reading partitions back, and parsing segment files by hand. The on-disk
// constants here are copied from README.md ("On-disk format") on purpose, not taken from batch.h,
// so an encoder and decoder that agree with each other but not with the format still fail.
// Test code only; every helper is used from the test's own thread unless it says otherwise.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "base/strong_int.h"
#include "log/log.h"

namespace lagoa::log::testing_util {

// How long a test waits for an append to be acknowledged before calling it hung.
inline constexpr std::chrono::seconds kAckTimeout{20};

// ---------------------------------------------------------------------------------------------
// Files and the on-disk format, by hand

// Size of a batch header and the magic at byte 8, as README.md documents them.
inline constexpr uint64_t kHeaderBytes = 56;
inline constexpr uint32_t kMagic = 0x3142474C;

// A directory path unique to the running test, under $LAGOA_TEST_TMPDIR (or /tmp); not created.
std::filesystem::path TestDir();

// The whole contents of a file (empty when it cannot be read).
Bytes ReadFileBytes(const std::filesystem::path& path);

// Every header field of one batch, as the documented layout places them.
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

// Parses the kHeaderBytes at `at` by hand; the caller checks that they are there.
ParsedHeader ParseHeader(const std::byte* at);

// The CRC32C the format stores for the batch of `batch_bytes` at `pos` in `file`: over everything
// after the crc field. The caller checks that the batch lies inside `file`.
uint32_t BatchCrc(std::span<const std::byte> file, uint64_t pos, uint32_t batch_bytes);

// One `<20 digits>.log` file of a partition directory.
struct SegmentFile {
  int64_t base;
  uint64_t size_bytes;
  std::filesystem::path path;
};

// The segment files of a partition directory, by base offset; flags (EXPECT) any badly named one.
std::vector<SegmentFile> SegmentFiles(const std::filesystem::path& partition_dir);

// The file name of the segment whose first offset is `base`.
std::string SegmentFileName(int64_t base);

// ---------------------------------------------------------------------------------------------
// Building and appending batches

struct Item {
  int64_t event_time_us;
  std::string payload;
};

// The content of one batch, kept so tests can both append it and compare what reads back.
struct TestBatch {
  uint32_t schema = 1;
  std::vector<Item> items;

  BatchBuilder Build() const;
};

// `n` records whose payloads say which batch and record they are, padded to `pad` bytes.
TestBatch MakeBatch(const std::string& tag, int n, size_t pad = 0, uint32_t schema = 1);

// `count` batches of MakeBatch(tag + i, records, pad), cycling through schema versions 1 to 3.
std::vector<TestBatch> ManyBatches(const std::string& tag, int count, int records, size_t pad);

// Appends and waits for the acknowledgement; Internal when none comes within kAckTimeout.
Result<AppendResult> AppendSync(Partition* p, BatchBuilder&& batch);

// Outcomes of many appends issued without waiting, indexed in issue order. The state is shared
// with the callbacks (which run on the log's I/O thread, under `mu`) so a late callback after a
// failed wait touches no dead stack.
struct AppendTracker {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::optional<Result<AppendResult>>> results;
  std::vector<bool> ran_before_return;  // the callback ran inside Append()
  size_t done = 0;

  bool WaitAll(std::chrono::seconds timeout);
};

// Issues one Append per batch without waiting for any of them.
std::shared_ptr<AppendTracker> AppendAsync(Partition* p, const std::vector<TestBatch>& batches);

// ---------------------------------------------------------------------------------------------
// Reading back and checking

// A record as read back, copied out of the reader's buffer.
struct Rec {
  int64_t offset;
  uint32_t schema;
  int64_t event_time_us;
  int64_t ingest_time_us;
  std::string payload;
};

struct ReadOutcome {
  std::vector<Rec> records;
  Status status;
};

// Copies the records of one Next() into `out`.
void Collect(const std::vector<ReadRecord>& batch, std::vector<Rec>* out);

// Reads from `from` until the reader has caught up (or fails, or 20 s pass); also checks that a
// new reader's position() is `from`.
ReadOutcome ReadAll(Partition* p, Offset from, size_t max_bytes = 1 << 20);

// What each offset of a partition must read back as, filled from append acknowledgements.
class Model {
 public:
  // Records batch `b`, acknowledged as `r`, appended between wall-clock times before_us and after_us.
  void Add(const AppendResult& r, const TestBatch& b, int64_t before_us, int64_t after_us);
  int64_t size() const { return static_cast<int64_t>(expected_.size()); }

  // `records` must be exactly offsets [from, end) with the acknowledged content.
  void ExpectExactly(const std::vector<Rec>& records, int64_t from, int64_t end) const;

 private:
  struct Expected {
    uint32_t schema;
    int64_t event_time_us;
    std::string payload;
    int64_t before_us;
    int64_t after_us;
    int64_t batch_first;
  };
  std::map<int64_t, Expected> expected_;
};

// Appends `batches` one after another, waiting for each, and records them in `model`.
void AppendEach(Partition* p, const std::vector<TestBatch>& batches, Model* model);

// Appends `batches` without waiting between them (group commit gets to batch them), then waits.
void AppendAll(Partition* p, const std::vector<TestBatch>& batches, Model* model);

// Polls `done` every 5 ms until it holds or `timeout` passes; the last answer of `done`.
bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = std::chrono::seconds{10});

// ---------------------------------------------------------------------------------------------
// Fixtures

// A fresh directory per test (removed before and after) and the log under test in it.
// options_ starts as dir_ with the free-space guard off and every other option at its default;
// tests adjust it and call Reopen(). TearDown stops the log.
class LogFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Opens and starts the log at options_ into log_ (stopping a previous one first).
  void Reopen();
  // Stops and drops log_, if any.
  void CloseLog();
  // Creates a stream (EXPECTs success); nullptr when it failed.
  Stream* Create(const std::string& name, int32_t partitions = 1, RetentionPolicy retention = {});
  // Where the log at options_ keeps one partition's files.
  std::filesystem::path PartitionDir(const std::string& stream, int partition = 0) const;

  std::filesystem::path dir_;
  LogOptions options_;
  std::unique_ptr<Log> log_;
};

// The fixture of the public-API tests: the log in dir_/log, its maintenance thread running every
// 20 ms so that retention and the free-space guard act within a test's patience.
class LogTest : public LogFixture {
 protected:
  void SetUp() override;
};

}  // namespace lagoa::log::testing_util
