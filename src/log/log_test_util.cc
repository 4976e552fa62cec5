#include "log/log_test_util.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iterator>
#include <thread>
#include <utility>

#include "base/clock.h"
#include "base/crc32c.h"
#include "base/parse_number.h"

namespace lagoa::log::testing_util {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Files and the on-disk format, by hand

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

uint32_t BatchCrc(std::span<const std::byte> file, uint64_t pos, uint32_t batch_bytes) {
  return Crc32c(file.subspan(pos + 8, batch_bytes - 8));
}

std::vector<SegmentFile> SegmentFiles(const fs::path& partition_dir) {
  std::vector<SegmentFile> out;
  for (const auto& entry : fs::directory_iterator(partition_dir)) {
    const fs::path& path = entry.path();
    if (path.extension() != ".log") continue;
    std::string stem = path.stem().string();
    EXPECT_EQ(stem.size(), 20u) << path;
    const std::optional<int64_t> base = ParseInteger<int64_t>(stem);
    EXPECT_TRUE(base.has_value()) << path;
    out.push_back({base.value_or(-1), fs::file_size(path), path});
  }
  std::sort(out.begin(), out.end(), [](const SegmentFile& a, const SegmentFile& b) { return a.base < b.base; });
  return out;
}

std::string SegmentFileName(int64_t base) {
  std::string digits = std::to_string(base);
  return std::string(20 - digits.size(), '0') + digits + ".log";
}

// ---------------------------------------------------------------------------------------------
// Building and appending batches

BatchBuilder TestBatch::Build() const {
  BatchBuilder b{SchemaVersion(schema)};
  for (const Item& item : items) b.Add(item.event_time_us, AsBytes(item.payload));
  return b;
}

TestBatch MakeBatch(const std::string& tag, int n, size_t pad, uint32_t schema) {
  TestBatch b;
  b.schema = schema;
  for (int i = 0; i < n; ++i) {
    std::string payload = tag + "/" + std::to_string(i);
    if (payload.size() < pad) payload.resize(pad, '.');
    b.items.push_back({1'700'000'000'000'000 + i * 1000, std::move(payload)});
  }
  return b;
}

std::vector<TestBatch> ManyBatches(const std::string& tag, int count, int records, size_t pad) {
  std::vector<TestBatch> out;
  for (int i = 0; i < count; ++i) out.push_back(MakeBatch(tag + std::to_string(i), records, pad, 1 + i % 3));
  return out;
}

Result<AppendResult> AppendSync(Partition* p, BatchBuilder&& batch) {
  auto promise = std::make_shared<std::promise<Result<AppendResult>>>();
  auto future = promise->get_future();
  p->Append(std::move(batch), [promise](Result<AppendResult> r) { promise->set_value(std::move(r)); });
  if (future.wait_for(kAckTimeout) != std::future_status::ready) {
    return Status::Internal("the append callback did not run within 20 s");
  }
  return future.get();
}

bool AppendTracker::WaitAll(std::chrono::seconds timeout) {
  std::unique_lock lock(mu);
  return cv.wait_for(lock, timeout, [&] { return done == results.size(); });
}

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

// ---------------------------------------------------------------------------------------------
// Reading back and checking

void Collect(const std::vector<ReadRecord>& batch, std::vector<Rec>* out) {
  for (const ReadRecord& r : batch) {
    out->push_back({r.offset.value(), r.schema_version.value(), r.event_time_us, r.ingest_time_us,
                    std::string(AsStringView(r.payload))});
  }
}

ReadOutcome ReadAll(Partition* p, Offset from, size_t max_bytes) {
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

void Model::Add(const AppendResult& r, const TestBatch& b, int64_t before_us, int64_t after_us) {
  ASSERT_EQ(r.last_offset - r.first_offset + 1, static_cast<int64_t>(b.items.size()));
  for (size_t i = 0; i < b.items.size(); ++i) {
    int64_t off = r.first_offset.value() + static_cast<int64_t>(i);
    ASSERT_EQ(expected_.count(off), 0u) << "offset " << off << " acknowledged twice";
    expected_[off] = {b.schema, b.items[i].event_time_us, b.items[i].payload, before_us,
                      after_us, r.first_offset.value()};
  }
}

void Model::ExpectExactly(const std::vector<Rec>& records, int64_t from, int64_t end) const {
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

void AppendEach(Partition* p, const std::vector<TestBatch>& batches, Model* model) {
  for (const TestBatch& b : batches) {
    int64_t before = WallNowMicros();
    auto r = AppendSync(p, b.Build());
    int64_t after = WallNowMicros();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    model->Add(*r, b, before, after);
  }
}

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

bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

// ---------------------------------------------------------------------------------------------
// Fixtures

void LogFixture::SetUp() {
  dir_ = TestDir();
  fs::remove_all(dir_);
  options_.dir = dir_;
  options_.free_space_min_bytes = 0;
  options_.free_space_min_percent = 0;
}

void LogFixture::TearDown() {
  CloseLog();
  fs::remove_all(dir_);
}

void LogFixture::Reopen() {
  CloseLog();
  auto opened = Log::Open(options_);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  log_ = std::move(opened).value();
  Status started = log_->Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
}

void LogFixture::CloseLog() {
  if (log_) log_->Stop();
  log_.reset();
}

Stream* LogFixture::Create(const std::string& name, int32_t partitions, RetentionPolicy retention) {
  StreamOptions so;
  so.partitions = partitions;
  so.retention = retention;
  auto s = log_->CreateStream(name, so);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : nullptr;
}

fs::path LogFixture::PartitionDir(const std::string& stream, int partition) const {
  return options_.dir / stream / std::to_string(partition);
}

void LogTest::SetUp() {
  LogFixture::SetUp();
  options_.dir = dir_ / "log";
  options_.maintenance_interval_ms = 20ms;
}

}  // namespace lagoa::log::testing_util
