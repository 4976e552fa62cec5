#include <gtest/gtest.h>

#include <string>

#include "events.h"
#include "http_reply.h"
#include "latency_histogram.h"

namespace lagoa::bench {
namespace {

TEST(LatencyHistogram, PercentilesStayWithinTwoPercent) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100'000; ++v) h.Record(v * 1000);  // 1 µs .. 100 ms
  EXPECT_EQ(h.count(), 100'000u);
  EXPECT_NEAR(static_cast<double>(h.PercentileNs(0.50)), 50e6, 50e6 * 0.02);
  EXPECT_NEAR(static_cast<double>(h.PercentileNs(0.99)), 99e6, 99e6 * 0.02);
  EXPECT_NEAR(static_cast<double>(h.PercentileNs(0.999)), 99.9e6, 99.9e6 * 0.02);
  EXPECT_EQ(h.max_ns(), 100'000'000u);
  EXPECT_LE(h.PercentileNs(1.0), h.max_ns());
}

TEST(LatencyHistogram, MergeAddsCounts) {
  LatencyHistogram a;
  LatencyHistogram b;
  a.Record(10);
  b.Record(1'000'000);
  a.Merge(b);
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(a.PercentileNs(0.5), 10u);
  EXPECT_EQ(a.max_ns(), 1'000'000u);
}

TEST(ParseHttpReply, ContentLengthReplyNeedsItsWholeBody) {
  const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n{\"accepted\":3}";
  HttpReply r;
  std::string chunked;
  EXPECT_EQ(ParseHttpReply(std::string_view(reply).substr(0, reply.size() - 1), r, chunked), ParseOutcome::kNeedMore);
  const std::string with_next = reply + "HTTP/1.1";  // r.body points into it
  ASSERT_EQ(ParseHttpReply(with_next, r, chunked), ParseOutcome::kComplete);
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.close);
  EXPECT_EQ(r.consumed_bytes, reply.size());
  EXPECT_EQ(AcceptedCount(r.body), 3);
}

TEST(ParseHttpReply, ChunkedReplyAndConnectionClose) {
  const std::string reply =
      "HTTP/1.1 429 Too Many Requests\r\ntransfer-encoding: chunked\r\nConnection: close\r\n\r\n"
      "4\r\nbusy\r\n0\r\n\r\n";
  HttpReply r;
  std::string chunked;
  ASSERT_EQ(ParseHttpReply(reply, r, chunked), ParseOutcome::kComplete);
  EXPECT_EQ(r.status, 429);
  EXPECT_TRUE(r.close);
  EXPECT_EQ(r.body, "busy");
  EXPECT_EQ(r.consumed_bytes, reply.size());
}

TEST(ParseHttpReply, RejectsWhatIsNotHttp) {
  HttpReply r;
  std::string chunked;
  EXPECT_EQ(ParseHttpReply("+OK\r\n\r\nxxxxxxxxxx", r, chunked), ParseOutcome::kMalformed);
}

TEST(MakeEvents, AreDeterministicSingleLineObjectsOfAbout200Bytes) {
  const auto a = MakeEvents(1000, 7);
  const auto b = MakeEvents(1000, 7);
  EXPECT_EQ(a, b);
  size_t bytes = 0;
  for (const std::string& e : a) {
    EXPECT_EQ(e.front(), '{');
    EXPECT_EQ(e.back(), '}');
    EXPECT_EQ(e.find('\n'), std::string::npos);
    bytes += e.size();
  }
  EXPECT_NEAR(static_cast<double>(bytes) / 1000.0, 215.0, 25.0);
}

}  // namespace
}  // namespace lagoa::bench
