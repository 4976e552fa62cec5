#include "schema/record_decoder.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "schema/json_encoder.h"
#include "schema/schema.h"

namespace lagoa::schema {
namespace {

Schema MakeSchema(std::string_view columns, uint32_t version = 1) {
  auto fields = ParseColumns(columns);
  EXPECT_TRUE(fields.ok()) << fields.status().ToString();
  return Schema{SchemaVersion(version), std::move(fields).value()};
}

Bytes Of(std::initializer_list<int> bytes) {
  Bytes out;
  for (int b : bytes) out.push_back(static_cast<std::byte>(b));
  return out;
}

Bytes EncodeWith(const Schema& schema, std::string_view json) {
  auto def = std::make_shared<StreamDefinition>();
  def->name = "t";
  def->versions.push_back(schema);
  JsonRecordEncoder encoder(def, UnknownFieldPolicy::kReject);
  std::string padded(json);
  padded.append(kJsonPaddingBytes, ' ');
  Bytes out;
  Status s = encoder.Encode(std::string_view(padded.data(), json.size()), out, nullptr);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

// Decodes `record`; on failure checks that the status is Corruption and `out` was left as it was.
Status Decode(const Bytes& record, const Schema& schema, std::string* json) {
  std::string out = "prefix";
  Status s = AppendRecordJson(record, schema, out);
  if (!s.ok()) {
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
    EXPECT_EQ(out, "prefix") << "output changed on error";
  } else {
    EXPECT_EQ(out.substr(0, 6), "prefix");
  }
  if (json != nullptr) *json = out.substr(6);
  return s;
}

const char* kEveryType =
    "b BOOLEAN, i INTEGER, n BIGINT, d DOUBLE, m DECIMAL(10,2), w DECIMAL(38,10), s VARCHAR, day DATE, "
    "t TIMESTAMP, tz TIMESTAMPTZ, j JSON, l BIGINT[][], st STRUCT(a VARCHAR, b DOUBLE[], c STRUCT(x DATE))";
const char* kEveryTypeEvent =
    R"({"b": true, "i": -7, "n": 9007199254740993, "d": -0.5, "m": -12.34, "w": 123.4567890123, "s": "hé\"llo",
        "day": "2024-05-01", "t": "2024-05-01T12:00:00.000001", "tz": "2024-05-01T12:00:00+01:00",
        "j": {"k": [1, null]}, "l": [[1, null], null, []], "st": {"c": {"x": "2000-01-01"}, "b": [null, 2.5]}})";

// --- The documented layout ------------------------------------------------------------------------

TEST(RecordFormat, EncoderWritesTheDocumentedLayout) {
  Schema schema = MakeSchema("a INTEGER, b VARCHAR, l BIGINT[], st STRUCT(x BOOLEAN, y DATE), m DECIMAL(20,2)");
  // clang-format off
  Bytes expected = Of({
      0x05, 0x1F,                                      // 5 columns, all present
      0xFE, 0xFF, 0xFF, 0xFF,                          // a: int32 -2
      0x02, 'h', 'i',                                  // b: varint length, bytes
      0x02, 0x01, 0x05, 0, 0, 0, 0, 0, 0, 0,           // l: 2 elements, only [0] present, int64 5
      0x02, 0x01, 0x00, 0x00, 0x00,                    // st: only y present, int32 days 1
      0x6A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // m: int128 -150, low 8 bytes
      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  //    high 8 bytes
  });
  // clang-format on
  EXPECT_EQ(EncodeWith(schema, R"({"m": -1.5, "st": {"y": "1970-01-02"}, "l": [5, null], "b": "hi", "a": -2})"),
            expected);
  std::string json;
  ASSERT_TRUE(Decode(expected, schema, &json).ok());
  EXPECT_EQ(json, R"({"a":-2,"b":"hi","l":[5,null],"st":{"x":null,"y":"1970-01-02"},"m":-1.50})");
}

TEST(RecordFormat, ReadmeExampleIsExact) {
  Schema schema = MakeSchema("a INTEGER, b VARCHAR, l BIGINT[]");
  EXPECT_EQ(EncodeWith(schema, R"({"l": [5, null], "a": -2})"),
            Of({0x03, 0x05, 0xFE, 0xFF, 0xFF, 0xFF, 0x02, 0x01, 0x05, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(RecordFormat, AbsentColumnsCostOnlyTheirPresenceBit) {
  Schema schema = MakeSchema(
      "a INTEGER, b BIGINT, c DOUBLE, d VARCHAR, e DATE, f JSON, g BOOLEAN, h INTEGER, "
      "i INTEGER");
  EXPECT_EQ(EncodeWith(schema, R"({"i": 1})"), Of({0x09, 0x00, 0x01, 0x01, 0, 0, 0}));
  EXPECT_EQ(EncodeWith(schema, R"({})"), Of({0x09, 0x00, 0x00}));
}

TEST(RecordFormat, SmallDecimalIsEightBytes) {
  Schema schema = MakeSchema("m DECIMAL(18,3)");
  EXPECT_EQ(EncodeWith(schema, R"({"m": 1.5})"), Of({0x01, 0x01, 0xDC, 0x05, 0, 0, 0, 0, 0, 0}));  // 1500
}

TEST(RecordDecoder, DecodesEveryTypeBackToJson) {
  Schema schema = MakeSchema(kEveryType);
  std::string json;
  ASSERT_TRUE(Decode(EncodeWith(schema, kEveryTypeEvent), schema, &json).ok());
  EXPECT_EQ(json,
            R"({"b":true,"i":-7,"n":9007199254740993,"d":-0.5,"m":-12.34,"w":123.4567890123,"s":"hé\"llo",)"
            R"("day":"2024-05-01","t":"2024-05-01T12:00:00.000001","tz":"2024-05-01T11:00:00Z",)"
            R"("j":{"k":[1,null]},"l":[[1,null],null,[]],"st":{"a":null,"b":[null,2.5],"c":{"x":"2000-01-01"}}})");
}

TEST(RecordDecoder, OlderVersionRecordDecodesWithNewerSchemaAsNulls) {
  Schema v1 = MakeSchema("a INTEGER", 1);
  Schema v2 = MakeSchema("a INTEGER, b VARCHAR", 2);
  Bytes record = EncodeWith(v1, R"({"a": 4})");
  std::string json;
  ASSERT_TRUE(Decode(record, v1, &json).ok());
  EXPECT_EQ(json, R"({"a":4})");
  ASSERT_TRUE(Decode(record, v2, &json).ok());
  EXPECT_EQ(json, R"({"a":4,"b":null})");
}

TEST(RecordDecoder, EmptySchemaRecordIsAnEmptyObject) {
  std::string json;
  ASSERT_TRUE(Decode(Of({0x00}), Schema{SchemaVersion(1), {}}, &json).ok());
  EXPECT_EQ(json, "{}");
}

// --- Hostile bytes ----------------------------------------------------------------------------------

TEST(RecordDecoder, EveryTruncationIsCorruption) {
  Schema schema = MakeSchema(kEveryType);
  Bytes record = EncodeWith(schema, kEveryTypeEvent);
  for (size_t size = 0; size < record.size(); ++size) {
    Bytes prefix(record.begin(), record.begin() + static_cast<std::ptrdiff_t>(size));
    EXPECT_FALSE(Decode(prefix, schema, nullptr).ok()) << "prefix of " << size << " bytes decoded";
  }
}

TEST(RecordDecoder, TrailingBytesAreCorruption) {
  Schema schema = MakeSchema("a INTEGER");
  Bytes record = Of({0x01, 0x01, 1, 0, 0, 0, 0x99});
  EXPECT_EQ(Decode(record, schema, nullptr).message(), "record: 1 bytes after the last column");
}

TEST(RecordDecoder, CorruptionNamesTheColumnAndTheProblem) {
  Schema schema = MakeSchema(
      "flag BOOLEAN, m DECIMAL(4,2), day DATE, t TIMESTAMPTZ, d DOUBLE, s VARCHAR, "
      "l INTEGER[], st STRUCT(x INTEGER)");
  auto message = [&](std::initializer_list<int> bytes) { return Decode(Of(bytes), schema, nullptr).message(); };
  EXPECT_EQ(message({0x01, 0x01, 0x02}), R"(record column "flag" (BOOLEAN): BOOLEAN byte is neither 0 nor 1)");
  EXPECT_EQ(message({0x02, 0x02, 0x10, 0x27, 0, 0, 0, 0, 0, 0}),  // 10000 needs 5 digits
            R"(record column "m" (DECIMAL(4,2)): DECIMAL value has more digits than its precision)");
  EXPECT_EQ(message({0x03, 0x04, 0xFF, 0xFF, 0xFF, 0x7F}), R"(record column "day" (DATE): DATE out of range)");
  EXPECT_EQ(message({0x04, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x80}),
            R"(record column "t" (TIMESTAMPTZ): TIMESTAMP out of range)");
  EXPECT_EQ(message({0x05, 0x10, 0, 0, 0, 0, 0, 0, 0xF8, 0x7F}), R"(record column "d" (DOUBLE): DOUBLE is not finite)");
  EXPECT_EQ(message({0x06, 0x20, 0x05, 'a'}), R"(record column "s" (VARCHAR): length exceeds the record)");
  EXPECT_EQ(message({0x06, 0x20, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}),
            R"(record column "s" (VARCHAR): length exceeds the record)");
  EXPECT_EQ(message({0x07, 0x40, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}),
            R"(record column "l" (INTEGER[]): LIST count exceeds the record)");
  EXPECT_EQ(message({0x07, 0x40, 0x02, 0x04}),
            R"(record column "l" (INTEGER[]): presence bitmap has bits past the last element)");
  EXPECT_EQ(message({0x08, 0x80, 0x02}),
            R"(record column "st" (STRUCT(x INTEGER)): presence bitmap has bits past the last field)");
  EXPECT_EQ(message({0x09, 0, 0}), "record has 9 columns; schema version 1 has 8");
  EXPECT_EQ(message({0x01, 0x02}), "record: presence bitmap has bits past the last column");
  EXPECT_EQ(message({0x80}), "record: truncated or invalid column count");
  EXPECT_EQ(message({}), "record: truncated or invalid column count");
}

TEST(RecordDecoder, InvalidUtf8InStoredVarcharStillGivesValidJson) {
  Schema schema = MakeSchema("s VARCHAR");
  std::string json;
  ASSERT_TRUE(Decode(Of({0x01, 0x01, 0x02, 0xC3, 0x28}), schema, &json).ok());
  simdjson::dom::parser parser;
  EXPECT_EQ(parser.parse(json).error(), simdjson::SUCCESS) << json;
}

// Random bytes and bit flips of valid records: Corruption or a valid JSON object, never a crash or
// an out-of-bounds read (the sanitizer build checks the latter).
TEST(RecordDecoder, RandomGarbageNeverCrashesAndNeverYieldsInvalidJson) {
  // No JSON column: its stored bytes are copied verbatim, so only it could yield invalid JSON.
  Schema schema = MakeSchema(
      "b BOOLEAN, i INTEGER, n BIGINT, d DOUBLE, m DECIMAL(10,2), w DECIMAL(38,10), s VARCHAR, day DATE, "
      "t TIMESTAMP, tz TIMESTAMPTZ, l BIGINT[][], st STRUCT(a VARCHAR, b DOUBLE[], c STRUCT(x DATE))");
  Bytes valid = EncodeWith(schema, R"({"b": false, "i": 1, "n": 2, "d": 3.5, "m": 4.25, "w": 5, "s": "x",
      "day": "2024-05-01", "t": "2024-05-01T00:00:00", "tz": "2024-05-01T00:00:00Z", "l": [[1], null],
      "st": {"a": "y", "b": [1.0], "c": {"x": "2024-05-02"}}})");
  std::mt19937_64 random(20240501);
  simdjson::dom::parser parser;
  size_t decoded = 0;
  for (int round = 0; round < 20000; ++round) {
    Bytes record;
    if (round % 2 == 0) {
      record.resize(random() % 80);
      for (auto& b : record) b = static_cast<std::byte>(random() % 4 == 0 ? 0 : random());
    } else {
      record = valid;
      for (int flips = 1 + static_cast<int>(random() % 3); flips > 0; --flips) {
        record[random() % record.size()] ^= static_cast<std::byte>(1u << (random() % 8));
      }
    }
    std::string json;
    if (!Decode(record, schema, &json).ok()) continue;
    ++decoded;
    EXPECT_EQ(parser.parse(json).error(), simdjson::SUCCESS) << json;
  }
  EXPECT_GT(decoded, 0u);  // some flips (in values) still decode
}

}  // namespace
}  // namespace lagoa::schema
