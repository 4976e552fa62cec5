#include <gtest/gtest.h>

#include <random>
#include <stdexcept>

#include "base/bytes.h"
#include "base/crc32c.h"
#include "base/status.h"
#include "base/strong_int.h"

namespace lagoa {
namespace {

TEST(Crc32c, MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32c(AsBytes("123456789")), 0xE3069283u);
  EXPECT_EQ(internal::Crc32cExtendPortable(0, AsBytes("123456789")), 0xE3069283u);
  EXPECT_EQ(Crc32c(AsBytes("")), 0u);
}

TEST(Crc32c, HardwareAndPortableAgreeWhenExtendingInPieces) {
  std::mt19937 rng(7);
  std::string data(1000, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  uint32_t whole = Crc32c(AsBytes(data));
  for (size_t split : {0, 1, 7, 8, 9, 500, 999, 1000}) {
    std::string_view a(data.data(), split), b(data.data() + split, data.size() - split);
    EXPECT_EQ(Crc32cExtend(Crc32cExtend(0, AsBytes(a)), AsBytes(b)), whole) << split;
    EXPECT_EQ(internal::Crc32cExtendPortable(internal::Crc32cExtendPortable(0, AsBytes(a)), AsBytes(b)), whole)
        << split;
  }
}

TEST(Bytes, VarintRoundTripsAndRejectsTruncation) {
  Bytes out;
  const uint64_t values[] = {0, 1, 127, 128, 300, 1ull << 35, UINT64_MAX};
  for (uint64_t v : values) PutVarint(out, v);
  ByteReader reader(out);
  for (uint64_t v : values) {
    uint64_t got = 0;
    ASSERT_TRUE(reader.ReadVarint(&got));
    EXPECT_EQ(got, v);
  }
  EXPECT_EQ(reader.remaining(), 0u);
  Bytes truncated = {std::byte{0x80}, std::byte{0x80}};
  ByteReader bad(truncated);
  uint64_t ignored;
  EXPECT_FALSE(bad.ReadVarint(&ignored));
}

TEST(Bytes, FixedReadsStopAtTheEnd) {
  Bytes out;
  PutFixed<uint32_t>(out, 0xDEADBEEF);
  ByteReader reader(out);
  uint64_t too_wide;
  EXPECT_FALSE(reader.ReadFixed(&too_wide));
  uint32_t v;
  ASSERT_TRUE(reader.ReadFixed(&v));
  EXPECT_EQ(v, 0xDEADBEEFu);
}

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument("odd");
  return x / 2;
}

Status Quarter(int x, int* out) {
  LAGOA_ASSIGN_OR_RETURN(int h, Half(x));
  LAGOA_ASSIGN_OR_RETURN(*out, Half(h));
  return Status::Ok();
}

TEST(Status, MacrosPropagateTheFirstError) {
  int out = 0;
  EXPECT_TRUE(Quarter(8, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = Quarter(6, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.WithContext("line 3").ToString(), "InvalidArgument: line 3: odd");
}

TEST(StrongInt, ArithmeticKeepsTheType) {
  Offset a(10);
  Offset b = a + 5;
  EXPECT_EQ(b.value(), 15);
  EXPECT_EQ(b - a, 5);
  EXPECT_LT(a, b);
}

}  // namespace
}  // namespace lagoa

#include "base/metrics.h"

namespace lagoa {
namespace {

TEST(Metrics, RendersPrometheusTextWithCumulativeBuckets) {
  MetricsRegistry registry;
  registry.GetCounter("lagoa_events_total", "Events.", {{"stream", "a\"b"}})->Add(3);
  Histogram* h = registry.GetHistogram("lagoa_fsync_seconds", "Fsync.", {}, {0.001, 0.01});
  h->ObserveNanos(500'000);
  h->ObserveNanos(5'000'000);
  h->ObserveNanos(50'000'000);
  std::string text = registry.RenderPrometheusText();
  EXPECT_NE(text.find("lagoa_events_total{stream=\"a\\\"b\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lagoa_fsync_seconds_bucket{le=\"0.001\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lagoa_fsync_seconds_bucket{le=\"0.01\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lagoa_fsync_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lagoa_fsync_seconds_count 3\n"), std::string::npos) << text;
  EXPECT_EQ(registry.GetCounter("lagoa_events_total", "", {{"stream", "a\"b"}})->value(), 3u);
}

TEST(Metrics, RefreshersRunBeforeEveryRenderingUntilRemoved) {
  MetricsRegistry registry;
  Gauge* gauge = registry.GetGauge("lagoa_read_when_asked", "Read at render.");
  int reads = 0;
  const uint64_t id = registry.AddRefresher([&] { gauge->Set(int64_t{++reads} * 10); });
  EXPECT_NE(registry.RenderPrometheusText().find("lagoa_read_when_asked 10\n"), std::string::npos);
  EXPECT_NE(registry.RenderPrometheusText().find("lagoa_read_when_asked 20\n"), std::string::npos);
  registry.RemoveRefresher(id);
  EXPECT_NE(registry.RenderPrometheusText().find("lagoa_read_when_asked 20\n"), std::string::npos);
  EXPECT_EQ(reads, 2);
}

}  // namespace
}  // namespace lagoa

#include "base/catch_all.h"
#include "base/json_writer.h"
#include "base/parse_number.h"

namespace lagoa {
namespace {

TEST(JsonWriter, NestsAndEscapes) {
  JsonWriter w;
  w.BeginObject().Key("a").Int(-1).Key("b").BeginArray().String("x\"\n\x01").Null().Bool(true).EndArray();
  w.Key("c").Double(0.5).Key("d").Raw("{}").EndObject();
  EXPECT_EQ(w.str(), R"({"a":-1,"b":["x\"\n\u0001",null,true],"c":0.5,"d":{}})");
}

TEST(JsonWriter, ReplacesInvalidUtf8) {
  std::string out;
  AppendJsonString(out, "ok \xC3\xA9 bad \xFF \xED\xA0\x80 end");
  EXPECT_EQ(out, "\"ok \xC3\xA9 bad \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD end\"");
}

TEST(CatchAll, TurnsAnEscapedExceptionIntoAnInternalStatus) {
  EXPECT_TRUE(CatchAll("nothing", [] {}).ok());
  EXPECT_EQ(CatchAll("refused", [] { return Status::InvalidArgument("no"); }).code(), StatusCode::kInvalidArgument);
  Status thrown = CatchAll("a request", []() -> Status { throw std::out_of_range("stoll"); });
  EXPECT_EQ(thrown.code(), StatusCode::kInternal);
  EXPECT_NE(thrown.message().find("a request"), std::string::npos) << thrown.message();
  EXPECT_NE(thrown.message().find("stoll"), std::string::npos) << thrown.message();
  EXPECT_EQ(CatchAll("odd", [] { throw 3; }).code(), StatusCode::kInternal);
}

TEST(ParseInteger, TakesOnlyAWholeNumberThatFits) {
  EXPECT_EQ(ParseInteger<int64_t>("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(ParseInteger<int64_t>("-12"), -12);
  EXPECT_EQ(ParseInteger<int64_t>("9223372036854775808"), std::nullopt);  // out of range: no exception
  EXPECT_EQ(ParseInteger<int64_t>("99999999999999999999"), std::nullopt);
  EXPECT_EQ(ParseInteger<int64_t>(""), std::nullopt);
  EXPECT_EQ(ParseInteger<int64_t>("12x"), std::nullopt);
  EXPECT_EQ(ParseInteger<int64_t>(" 12"), std::nullopt);
  EXPECT_EQ(ParseInteger<uint32_t>("-1"), std::nullopt);
  EXPECT_EQ(ParseInteger<uint32_t>("4294967296"), std::nullopt);
  EXPECT_EQ(ParseInteger<size_t>("x"), std::nullopt);
}

}  // namespace
}  // namespace lagoa

#include "base/clock.h"

namespace lagoa {
namespace {

TEST(Clock, FormatsRfc3339InUtcWithMicroseconds) {
  EXPECT_EQ(FormatRfc3339Micros(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatRfc3339Micros(1714564800123456), "2024-05-01T12:00:00.123456Z");
  EXPECT_EQ(FormatRfc3339Micros(-1), "1969-12-31T23:59:59.999999Z");
}

}  // namespace
}  // namespace lagoa

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

#include "base/thread_priority.h"

namespace lagoa {
namespace {

// The nice value applies to the calling thread only: the test's own thread keeps its priority.
TEST(ThreadPriority, LowersTheCallingThreadOnly) {
  const int before = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
  int seen = -100;
  std::thread background([&] {
    ASSERT_TRUE(SetCurrentThreadNice(before + 3 <= 19 ? before + 3 : 19).ok());
    seen = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)));
  });
  background.join();
  EXPECT_EQ(seen, before + 3 <= 19 ? before + 3 : 19);
  EXPECT_EQ(::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid))), before);
  EXPECT_EQ(SetCurrentThreadNice(20).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SetCurrentThreadNice(-1).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(SetCurrentThreadNice(0).ok());  // no change
}

}  // namespace
}  // namespace lagoa
