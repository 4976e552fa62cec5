#include "ingest/body.h"

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

namespace lagoa::ingest {
namespace {

std::string Gzip(std::string_view in) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Zstd(std::string_view in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::vector<EventDocument> Split(std::string& body, BodyFormat format) {
  size_t size = PadBody(body);
  auto docs = SplitEvents(std::string_view(body.data(), size), format);
  EXPECT_TRUE(docs.ok()) << docs.status().ToString();
  return docs.ok() ? *docs : std::vector<EventDocument>{};
}

TEST(Body, NdjsonKeepsPhysicalLineNumbersAndSkipsBlankLines) {
  std::string body = "{\"a\":1}\r\n\n   \n{\"a\":2}\n{\"a\":3}";
  auto docs = Split(body, BodyFormat::kNdjson);
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].line, 1u);
  EXPECT_EQ(docs[0].text, "{\"a\":1}");
  EXPECT_EQ(docs[1].line, 4u);
  EXPECT_EQ(docs[2].line, 5u);
  EXPECT_EQ(docs[2].text, "{\"a\":3}");
}

TEST(Body, JsonArrayYieldsEachElementsText) {
  std::string body = R"([ {"a": [1, 2]}, 7, "x", {"b": {"c": null}} ])";
  auto docs = Split(body, BodyFormat::kJsonArray);
  ASSERT_EQ(docs.size(), 4u);
  EXPECT_EQ(docs[0].text, R"({"a": [1, 2]})");
  EXPECT_EQ(docs[1].text.substr(0, 1), "7");
  EXPECT_EQ(docs[3].text, R"({"b": {"c": null}})");
  EXPECT_EQ(docs[3].line, 4u);
}

TEST(Body, MalformedArrayAndEmptyBodyAreWholeRequestErrors) {
  for (std::string body : {std::string("[{\"a\":1}, {\"a\": ]"), std::string("[]"), std::string("[{}] x")}) {
    size_t size = PadBody(body);
    EXPECT_FALSE(SplitEvents(std::string_view(body.data(), size), BodyFormat::kJsonArray).ok()) << body;
  }
  std::string empty = "  \n ";
  size_t size = PadBody(empty);
  auto docs = SplitEvents(std::string_view(empty.data(), size), BodyFormat::kNdjson);
  ASSERT_FALSE(docs.ok());
  EXPECT_NE(docs.status().message().find("empty body"), std::string::npos);
}

TEST(Body, DetectsFormatFromContentTypeAndFirstByte) {
  EXPECT_EQ(DetectBodyFormat("application/x-ndjson", "[1]"), BodyFormat::kNdjson);
  EXPECT_EQ(DetectBodyFormat("application/json", " [1]"), BodyFormat::kJsonArray);
  EXPECT_EQ(DetectBodyFormat("application/json", "{\n \"a\": 1\n}"), BodyFormat::kJsonObject);
  EXPECT_EQ(DetectBodyFormat("", "{\"a\":1}\n{\"a\":2}"), BodyFormat::kNdjson);
  EXPECT_EQ(DetectBodyFormat("text/plain", "\n[{}]"), BodyFormat::kJsonArray);
}

TEST(Body, DecompressesGzipAndZstd) {
  std::string plain;
  for (int i = 0; i < 10000; ++i) plain += "{\"n\":" + std::to_string(i) + "}\n";
  std::string out;
  ASSERT_TRUE(DecodeContent("gzip", Gzip(plain), 1 << 20, &out).ok());
  EXPECT_EQ(out, plain);
  ASSERT_TRUE(DecodeContent("zstd", Zstd(plain), 1 << 20, &out).ok());
  EXPECT_EQ(out, plain);
  ASSERT_TRUE(DecodeContent("gzip", Gzip(plain) + Gzip("tail"), 1 << 20, &out).ok());
  EXPECT_EQ(out, plain + "tail");
}

TEST(Body, RefusesBombsCorruptionTruncationAndUnknownEncodings) {
  std::string zeros(8 << 20, '0');
  std::string out;
  EXPECT_EQ(DecodeContent("gzip", Gzip(zeros), 1 << 20, &out).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(DecodeContent("zstd", Zstd(zeros), 1 << 20, &out).code(), StatusCode::kOutOfRange);
  std::string gz = Gzip("hello world, hello world");
  EXPECT_EQ(DecodeContent("gzip", gz.substr(0, gz.size() / 2), 1 << 20, &out).code(), StatusCode::kInvalidArgument);
  std::string zs = Zstd("hello world, hello world");
  EXPECT_EQ(DecodeContent("zstd", zs.substr(0, zs.size() - 3), 1 << 20, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeContent("gzip", "not gzip at all", 1 << 20, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeContent("br", "x", 1 << 20, &out).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lagoa::ingest
