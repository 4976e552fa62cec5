// Tests of the durable event log through its public API (log.h): streams, appends and reads,
// segment rolling, reopen, group commit under concurrency, waiting, consumer offsets, back-pressure,
// the free-space guard, retention and shutdown. Every wait is bounded by a deadline.
#include "log/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/status.h"
#include "base/strong_int.h"

namespace lagoa::log {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kAckTimeout = 20s;

// ---------------------------------------------------------------------------------------------
// Helpers

struct Item {
  int64_t event_time_us;
  std::string payload;
};

struct TestBatch {
  uint32_t schema = 1;
  std::vector<Item> items;

  BatchBuilder Build() const {
    BatchBuilder b{SchemaVersion(schema)};
    for (const Item& item : items) b.Add(item.event_time_us, AsBytes(item.payload));
    return b;
  }
};

// `n` records whose payloads say which batch and record they are, padded to `pad` bytes.
TestBatch MakeBatch(const std::string& tag, int n, size_t pad = 0, uint32_t schema = 1) {
  TestBatch b;
  b.schema = schema;
  for (int i = 0; i < n; ++i) {
    std::string payload = tag + "/" + std::to_string(i);
    if (payload.size() < pad) payload.resize(pad, '.');
    b.items.push_back({1'700'000'000'000'000 + i * 1000, std::move(payload)});
  }
  return b;
}

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

void Collect(const std::vector<ReadRecord>& batch, std::vector<Rec>* out) {
  for (const ReadRecord& r : batch) {
    out->push_back({r.offset.value(), r.schema_version.value(), r.event_time_us, r.ingest_time_us,
                    std::string(AsStringView(r.payload))});
  }
}

// Reads from `from` until the reader has caught up (or fails, or 20 s pass).
ReadOutcome ReadAll(Partition* p, Offset from, size_t max_bytes = 1 << 20) {
  ReadOutcome out;
  auto reader = p->OpenReader(from);
  if (!reader.ok()) {
    out.status = reader.status();
    return out;
  }
  if ((*reader)->position() != from) {
    out.status = Status::Internal("a new reader's position() is not its start offset");
    return out;
  }
  const auto deadline = Clock::now() + 20s;
  while (Clock::now() < deadline) {
    auto batch = (*reader)->Next(max_bytes);
    if (!batch.ok()) {
      out.status = batch.status();
      return out;
    }
    if (batch->empty()) return out;
    Collect(*batch, &out.records);
  }
  out.status = Status::Internal("the reader did not catch up within 20 s");
  return out;
}

Result<AppendResult> AppendSync(Partition* p, BatchBuilder&& batch) {
  auto promise = std::make_shared<std::promise<Result<AppendResult>>>();
  auto future = promise->get_future();
  p->Append(std::move(batch), [promise](Result<AppendResult> r) { promise->set_value(std::move(r)); });
  if (future.wait_for(kAckTimeout) != std::future_status::ready) {
    return Status::Internal("the append callback did not run within the deadline");
  }
  return future.get();
}

// Outcomes of many appends issued without waiting, indexed in issue order. The state is shared
// with the callbacks so a late callback after a failed wait touches no dead stack.
struct AppendTracker {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::optional<Result<AppendResult>>> results;
  std::vector<bool> ran_before_return;  // the callback ran inside Append()
  size_t done = 0;

  bool WaitAll(std::chrono::seconds timeout) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return done == results.size(); });
  }
};

std::shared_ptr<AppendTracker> AppendAsync(Partition* p, const std::vector<TestBatch>& batches) {
  auto t = std::make_shared<AppendTracker>();
  t->results.resize(batches.size());
  t->ran_before_return.resize(batches.size(), false);
  for (size_t i = 0; i < batches.size(); ++i) {
    auto returned = std::make_shared<std::atomic<bool>>(false);
    p->Append(batches[i].Build(), [t, i, returned](Result<AppendResult> r) {
      std::lock_guard lock(t->mu);
      t->ran_before_return[i] = !returned->load();
      t->results[i] = std::move(r);
      ++t->done;
      t->cv.notify_all();
    });
    returned->store(true);
  }
  return t;
}

// What each offset of a partition must read back as, filled from append acknowledgements.
class Model {
 public:
  void Add(const AppendResult& r, const TestBatch& b, int64_t before_us, int64_t after_us) {
    ASSERT_EQ(r.last_offset - r.first_offset + 1, static_cast<int64_t>(b.items.size()));
    for (size_t i = 0; i < b.items.size(); ++i) {
      int64_t off = r.first_offset.value() + static_cast<int64_t>(i);
      ASSERT_EQ(expected_.count(off), 0u) << "offset " << off << " acknowledged twice";
      expected_[off] = {b.schema, b.items[i].event_time_us, b.items[i].payload, before_us, after_us, r.first_offset.value()};
    }
  }
  int64_t size() const { return static_cast<int64_t>(expected_.size()); }

  // `records` must be exactly offsets [from, end) with the acknowledged content.
  void ExpectExactly(const std::vector<Rec>& records, int64_t from, int64_t end) const {
    ASSERT_EQ(static_cast<int64_t>(records.size()), end - from) << "reading [" << from << ", " << end << ")";
    std::map<int64_t, int64_t> ingest_by_batch;
    for (size_t i = 0; i < records.size(); ++i) {
      const Rec& r = records[i];
      ASSERT_EQ(r.offset, from + static_cast<int64_t>(i)) << "offsets are not dense";
      auto it = expected_.find(r.offset);
      ASSERT_NE(it, expected_.end()) << "offset " << r.offset << " was never acknowledged";
      const Expected& e = it->second;
      EXPECT_EQ(r.payload, e.payload) << "offset " << r.offset;
      EXPECT_EQ(r.schema, e.schema) << "offset " << r.offset;
      EXPECT_EQ(r.event_time_us, e.event_time_us) << "offset " << r.offset;
      EXPECT_GE(r.ingest_time_us, e.before_us) << "offset " << r.offset;
      EXPECT_LE(r.ingest_time_us, e.after_us) << "offset " << r.offset;
      auto [slot, inserted] = ingest_by_batch.emplace(e.batch_first, r.ingest_time_us);
      if (!inserted) {
        EXPECT_EQ(slot->second, r.ingest_time_us) << "records of one batch share its ingest time";
      }
    }
  }

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
void AppendEach(Partition* p, const std::vector<TestBatch>& batches, Model* model) {
  for (const TestBatch& b : batches) {
    int64_t before = WallNowMicros();
    auto r = AppendSync(p, b.Build());
    int64_t after = WallNowMicros();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    model->Add(*r, b, before, after);
  }
}

// Appends `batches` without waiting between them (group commit gets to batch them), then waits.
void AppendAll(Partition* p, const std::vector<TestBatch>& batches, Model* model) {
  int64_t before = WallNowMicros();
  auto t = AppendAsync(p, batches);
  ASSERT_TRUE(t->WaitAll(kAckTimeout)) << "not every append was acknowledged in time";
  int64_t after = WallNowMicros();
  for (size_t i = 0; i < batches.size(); ++i) {
    ASSERT_TRUE(t->results[i]->ok()) << "append " << i << ": " << t->results[i]->status().ToString();
    model->Add(t->results[i]->value(), batches[i], before, after);
  }
}

std::vector<TestBatch> ManyBatches(const std::string& tag, int count, int records, size_t pad) {
  std::vector<TestBatch> out;
  for (int i = 0; i < count; ++i) out.push_back(MakeBatch(tag + std::to_string(i), records, pad, 1 + i % 3));
  return out;
}

// Polls `done` until it holds or `timeout` passes.
bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

struct SegmentFile {
  int64_t base;
  uint64_t size_bytes;
  fs::path path;
};

// The `<20 digits>.log` files of a partition directory, by base offset.
std::vector<SegmentFile> SegmentFiles(const fs::path& partition_dir) {
  std::vector<SegmentFile> out;
  for (const auto& entry : fs::directory_iterator(partition_dir)) {
    const fs::path& path = entry.path();
    if (path.extension() != ".log") continue;
    std::string stem = path.stem().string();
    EXPECT_EQ(stem.size(), 20u) << path;
    EXPECT_TRUE(std::all_of(stem.begin(), stem.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        << path;
    out.push_back({std::stoll(stem), fs::file_size(path), path});
  }
  std::sort(out.begin(), out.end(), [](const SegmentFile& a, const SegmentFile& b) { return a.base < b.base; });
  return out;
}

int64_t FirstBatchBaseOffset(const fs::path& segment) {
  std::ifstream in(segment, std::ios::binary);
  char header[24] = {};
  in.read(header, sizeof header);
  if (in.gcount() != sizeof header) return -1;
  return LoadFixed<int64_t>(reinterpret_cast<const std::byte*>(header) + 16);
}

bool ContainsIgnoringCase(std::string haystack, std::string needle) {
  auto lower = [](std::string& s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  lower(haystack);
  lower(needle);
  return haystack.find(needle) != std::string::npos;
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("LAGOA_TEST_TMPDIR");
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(base != nullptr && *base != '\0' ? base : "/tmp") /
           ("lagoa-log-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "." + info->name());
    fs::remove_all(dir_);
    options_.dir = dir_ / "log";
    options_.free_space_min_bytes = 0;
    options_.free_space_min_percent = 0;
    options_.maintenance_interval_ms = 20ms;
  }

  void TearDown() override {
    if (log_) log_->Stop();
    log_.reset();
    fs::remove_all(dir_);
  }

  // Opens and starts the log at options_ into log_ (stopping a previous one first).
  void Reopen() {
    if (log_) log_->Stop();
    log_.reset();
    auto opened = Log::Open(options_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    log_ = std::move(opened).value();
    Status started = log_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }

  Stream* Create(const std::string& name, int32_t partitions = 1, RetentionPolicy retention = {}) {
    StreamOptions so;
    so.partitions = partitions;
    so.retention = retention;
    auto s = log_->CreateStream(name, so);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : nullptr;
  }

  fs::path PartitionDir(const std::string& stream, int partition) const {
    return options_.dir / stream / std::to_string(partition);
  }

  fs::path dir_;
  LogOptions options_;
  std::unique_ptr<Log> log_;
};

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
  EXPECT_TRUE(after.status().code() == StatusCode::kNotFound ||
              after.status().code() == StatusCode::kFailedPrecondition)
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
  AppendEach(p, ManyBatches("b", 20, 5, 100), &model);           // offsets 0..99
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
// Concurrency and waiting

TEST_F(LogTest, GroupCommitGivesConcurrentAppendsDistinctDenseOffsets) {
  Reopen();
  Partition* p = Create("busy")->partition(PartitionId(0));
  constexpr int kThreads = 8;
  constexpr int kAppendsPerThread = 2000;
  struct Ack {
    int thread;
    int seq;
    int records;
    std::optional<Result<AppendResult>> result;
  };
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<Ack> acks;
    int callbacks = 0;
  };
  auto shared = std::make_shared<Shared>();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([p, shared, t] {
      for (int i = 0; i < kAppendsPerThread; ++i) {
        int records = 1 + i % 3;
        BatchBuilder b{SchemaVersion(1)};
        for (int j = 0; j < records; ++j) {
          std::string payload = "t" + std::to_string(t) + "-" + std::to_string(i) + "-" + std::to_string(j);
          b.Add(i, AsBytes(payload));
        }
        p->Append(std::move(b), [shared, t, i, records](Result<AppendResult> r) {
          std::lock_guard lock(shared->mu);
          shared->acks.push_back({t, i, records, std::move(r)});
          ++shared->callbacks;
          shared->cv.notify_all();
        });
      }
    });
  }
  for (std::thread& th : threads) th.join();
  {
    std::unique_lock lock(shared->mu);
    ASSERT_TRUE(shared->cv.wait_for(lock, 30s, [&] { return shared->callbacks == kThreads * kAppendsPerThread; }))
        << "only " << shared->callbacks << " callbacks ran";
  }
  std::vector<Ack> acks;
  {
    std::lock_guard lock(shared->mu);
    acks = std::move(shared->acks);
  }
  ASSERT_EQ(acks.size(), static_cast<size_t>(kThreads * kAppendsPerThread));
  for (const Ack& a : acks) ASSERT_TRUE(a.result->ok()) << a.result->status().ToString();

  // Ranges are disjoint and cover [0, total) without gaps.
  std::sort(acks.begin(), acks.end(), [](const Ack& a, const Ack& b) {
    return a.result->value().first_offset < b.result->value().first_offset;
  });
  std::map<int64_t, std::string> expected;
  int64_t next = 0;
  std::vector<int64_t> last_first_by_thread(kThreads, -1);
  for (const Ack& a : acks) {
    const AppendResult& r = a.result->value();
    ASSERT_EQ(r.first_offset, Offset(next)) << "gap or overlap at " << next;
    ASSERT_EQ(r.last_offset - r.first_offset + 1, a.records);
    for (int j = 0; j < a.records; ++j) {
      expected[next + j] = "t" + std::to_string(a.thread) + "-" + std::to_string(a.seq) + "-" + std::to_string(j);
    }
    next += a.records;
  }
  EXPECT_EQ(p->next_offset(), Offset(next));

  // One thread's appends land in the order it made them.
  std::vector<std::vector<std::pair<int, int64_t>>> by_thread(kThreads);
  for (const Ack& a : acks) by_thread[a.thread].push_back({a.seq, a.result->value().first_offset.value()});
  for (auto& v : by_thread) {
    std::sort(v.begin(), v.end());
    for (size_t i = 1; i < v.size(); ++i) ASSERT_LT(v[i - 1].second, v[i].second) << "appends of one thread reordered";
  }

  ReadOutcome read = ReadAll(p, Offset(0));
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  ASSERT_EQ(static_cast<int64_t>(read.records.size()), next);
  for (size_t i = 0; i < read.records.size(); ++i) {
    ASSERT_EQ(read.records[i].offset, static_cast<int64_t>(i));
    ASSERT_EQ(read.records[i].payload, expected[static_cast<int64_t>(i)]) << "offset " << i;
  }
}

TEST_F(LogTest, ConcurrentReaderSeesEveryRecordOnceWhileAppendsLand) {
  Reopen();
  Partition* p = Create("live")->partition(PartitionId(0));
  constexpr int kBatches = 300;
  std::atomic<bool> failed{false};
  std::vector<Rec> seen;
  std::thread reader_thread([&] {
    auto reader = p->OpenReader(Offset(0));
    if (!reader.ok()) {
      failed = true;
      return;
    }
    const auto deadline = Clock::now() + 20s;
    while (seen.size() < static_cast<size_t>(kBatches * 2) && Clock::now() < deadline) {
      if (!p->WaitForData((*reader)->position(), 100ms)) continue;
      auto batch = (*reader)->Next(4096);
      if (!batch.ok()) {
        failed = true;
        return;
      }
      Collect(*batch, &seen);
    }
  });
  Model model;
  AppendAll(p, ManyBatches("b", kBatches, 2, 20), &model);
  reader_thread.join();
  ASSERT_FALSE(failed.load());
  model.ExpectExactly(seen, 0, kBatches * 2);
}

TEST_F(LogTest, WaitForDataWakesWhenDataLands) {
  Reopen();
  Partition* p = Create("waited")->partition(PartitionId(0));
  auto waited = std::async(std::launch::async, [p] {
    auto start = Clock::now();
    bool got = p->WaitForData(Offset(0), 10s);
    return std::pair{got, Clock::now() - start};
  });
  std::this_thread::sleep_for(50ms);  // lets the waiter block first; the test holds either way
  ASSERT_TRUE(AppendSync(p, MakeBatch("wake", 1).Build()).ok());
  ASSERT_EQ(waited.wait_for(15s), std::future_status::ready);
  auto [got, elapsed] = waited.get();
  EXPECT_TRUE(got);
  EXPECT_LT(elapsed, 5s) << "woke by timeout, not by the append";

  // Data already there: true at once.
  auto start = Clock::now();
  EXPECT_TRUE(p->WaitForData(Offset(0), 10s));
  EXPECT_LT(Clock::now() - start, 5s);
}

TEST_F(LogTest, WaitForDataTimesOutWithoutData) {
  Reopen();
  Partition* p = Create("quiet")->partition(PartitionId(0));
  ASSERT_TRUE(AppendSync(p, MakeBatch("one", 2).Build()).ok());
  auto start = Clock::now();
  EXPECT_FALSE(p->WaitForData(Offset(2), 150ms));
  auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 140ms);
  EXPECT_LT(elapsed, 5s);
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
// Limits: back-pressure and the free-space guard

TEST_F(LogTest, FullAppendQueueFailsAtOnceWithResourceExhausted) {
  options_.pending_bytes_max = 2048;
  Reopen();
  Partition* p = Create("pressed")->partition(PartitionId(0));
  std::vector<TestBatch> batches = ManyBatches("b", 2000, 1, 500);
  auto t = AppendAsync(p, batches);
  ASSERT_TRUE(t->WaitAll(kAckTimeout));
  Model model;
  int exhausted = 0;
  for (size_t i = 0; i < batches.size(); ++i) {
    const Result<AppendResult>& r = *t->results[i];
    if (r.ok()) {
      model.Add(*r, batches[i], 0, std::numeric_limits<int64_t>::max());
      continue;
    }
    ASSERT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().ToString();
    EXPECT_TRUE(t->ran_before_return[i]) << "a refused append must fail before Append() returns";
    ++exhausted;
  }
  EXPECT_GT(exhausted, 0) << "2000 appends of 500 bytes never filled a 2 KB queue";
  EXPECT_GT(model.size(), 0);
  ReadOutcome read = ReadAll(p, Offset(0));
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  model.ExpectExactly(read.records, 0, model.size());

  // Once the queue drains, appends work again.
  auto later = AppendSync(p, MakeBatch("later", 1, 500).Build());
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_EQ(later->first_offset, Offset(model.size()));
}

TEST_F(LogTest, FreeSpaceGuardRefusesAppendsWithDiskFull) {
  options_.free_space_min_percent = 100;  // no real disk is ever 100% free
  Reopen();
  Partition* p = Create("guarded")->partition(PartitionId(0));
  std::optional<Status> refusal;
  bool before_return = false;
  ASSERT_TRUE(Eventually([&] {
    auto returned = std::make_shared<std::atomic<bool>>(false);
    auto promise = std::make_shared<std::promise<std::pair<Status, bool>>>();
    p->Append(MakeBatch("x", 1).Build(), [promise, returned](Result<AppendResult> r) {
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
  })) << "start " << p->stats().start_offset.value() << " size " << p->stats().size_bytes;

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

// ---------------------------------------------------------------------------------------------
// Shutdown and durability modes

TEST_F(LogTest, StopCompletesQueuedAppends) {
  Reopen();
  Partition* p = Create("draining")->partition(PartitionId(0));
  std::vector<TestBatch> batches = ManyBatches("b", 1000, 2, 30);
  auto t = AppendAsync(p, batches);
  log_->Stop();
  {
    std::lock_guard lock(t->mu);
    ASSERT_EQ(t->done, batches.size()) << "Stop() returned with appends still queued";
  }
  Model model;
  for (size_t i = 0; i < batches.size(); ++i) {
    ASSERT_TRUE(t->results[i]->ok()) << "append " << i << ": " << t->results[i]->status().ToString();
    model.Add(t->results[i]->value(), batches[i], 0, std::numeric_limits<int64_t>::max());
  }
  Reopen();
  p = log_->FindStream("draining")->partition(PartitionId(0));
  EXPECT_EQ(p->next_offset(), Offset(2000));
  ReadOutcome read = ReadAll(p, Offset(0));
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  model.ExpectExactly(read.records, 0, 2000);
}

TEST_F(LogTest, AppendAfterStopFailsWithFailedPrecondition) {
  Reopen();
  Partition* p = Create("stopped")->partition(PartitionId(0));
  ASSERT_TRUE(AppendSync(p, MakeBatch("before", 1).Build()).ok());
  log_->Stop();
  auto t = AppendAsync(p, {MakeBatch("after", 1)});
  ASSERT_TRUE(t->WaitAll(1s)) << "the callback did not run";
  ASSERT_FALSE(t->results[0]->ok());
  EXPECT_EQ(t->results[0]->status().code(), StatusCode::kFailedPrecondition) << t->results[0]->status().ToString();
  EXPECT_TRUE(t->ran_before_return[0]);
  EXPECT_EQ(p->next_offset(), Offset(1));
}

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
