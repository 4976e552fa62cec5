#include "schema/json_encoder.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "schema/record_decoder.h"
#include "schema/schema.h"

namespace lagoa::schema {
namespace {

std::shared_ptr<const StreamDefinition> MakeDefinition(std::string_view columns,
                                                       std::optional<std::string> event_time = std::nullopt) {
  auto fields = ParseColumns(columns);
  EXPECT_TRUE(fields.ok()) << fields.status().ToString();
  auto def = std::make_shared<StreamDefinition>();
  def->name = "events";
  def->versions.push_back(Schema{SchemaVersion(1), std::move(fields).value()});
  def->event_time_column = std::move(event_time);
  return def;
}

// The caller's side of the padding contract: the event followed by kJsonPaddingBytes spaces.
class PaddedEvent {
 public:
  explicit PaddedEvent(std::string_view json) : buffer_(json) { buffer_.append(kJsonPaddingBytes, ' '); }
  std::string_view text() const { return {buffer_.data(), buffer_.size() - kJsonPaddingBytes}; }

 private:
  std::string buffer_;
};

class EncoderTest : public ::testing::Test {
 protected:
  void Use(std::string_view columns, EncoderOptions options = EncoderOptions::Defaults(),
           std::optional<std::string> event_time = std::nullopt) {
    definition_ = MakeDefinition(columns, std::move(event_time));
    encoder_ = std::make_unique<JsonRecordEncoder>(definition_, options);
  }

  Status Encode(std::string_view json, Bytes& out) {
    PaddedEvent event(json);
    info_ = EncodeInfo{};
    return encoder_->Encode(event.text(), out, &info_);
  }

  // Encodes and decodes back; the decoded JSON, or the error message prefixed with "error: ".
  std::string RoundTrip(std::string_view json) {
    Bytes record;
    Status s = Encode(json, record);
    if (!s.ok()) return "error: " + s.message();
    std::string out;
    Status d = AppendRecordJson(record, encoder_->schema(), out);
    EXPECT_TRUE(d.ok()) << d.ToString();
    return out;
  }

  // The error message of encoding `json`, which must fail and leave the output untouched.
  std::string Error(std::string_view json) {
    Bytes record{std::byte{0xAB}};
    Status s = Encode(json, record);
    EXPECT_FALSE(s.ok()) << "accepted: " << json.substr(0, 200);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(record, Bytes{std::byte{0xAB}}) << "output changed on error";
    return s.message();
  }

  std::shared_ptr<const StreamDefinition> definition_;
  std::unique_ptr<JsonRecordEncoder> encoder_;
  EncodeInfo info_;
};

// --- Round trips, one type at a time ------------------------------------------------------------

TEST_F(EncoderTest, BooleanRoundTrips) {
  Use("b BOOLEAN");
  EXPECT_EQ(RoundTrip(R"({"b": true})"), R"({"b":true})");
  EXPECT_EQ(RoundTrip(R"({"b": false})"), R"({"b":false})");
}

TEST_F(EncoderTest, IntegerRoundTripsItsWholeRange) {
  Use("i INTEGER");
  EXPECT_EQ(RoundTrip(R"({"i": 0})"), R"({"i":0})");
  EXPECT_EQ(RoundTrip(R"({"i": -2147483648})"), R"({"i":-2147483648})");
  EXPECT_EQ(RoundTrip(R"({"i": 2147483647})"), R"({"i":2147483647})");
}

TEST_F(EncoderTest, BigIntRoundTripsItsWholeRange) {
  Use("n BIGINT");
  EXPECT_EQ(RoundTrip(R"({"n": -9223372036854775808})"), R"({"n":-9223372036854775808})");
  EXPECT_EQ(RoundTrip(R"({"n": 9223372036854775807})"), R"({"n":9223372036854775807})");
  EXPECT_EQ(RoundTrip(R"({"n": -1})"), R"({"n":-1})");
}

TEST_F(EncoderTest, DoubleRoundTripsExactlyAndAcceptsIntegers) {
  Use("d DOUBLE");
  EXPECT_EQ(RoundTrip(R"({"d": 0.1})"), R"({"d":0.1})");
  EXPECT_EQ(RoundTrip(R"({"d": -2.5e-300})"), R"({"d":-2.5e-300})");
  EXPECT_EQ(RoundTrip(R"({"d": 1.7976931348623157e308})"), R"({"d":1.7976931348623157e+308})");
  EXPECT_EQ(RoundTrip(R"({"d": 42})"), R"({"d":42})");
  EXPECT_EQ(RoundTrip(R"({"d": 12345678901234567890})"), R"({"d":1.2345678901234567e+19})");
}

TEST_F(EncoderTest, SmallDecimalKeepsExactDigitsFromNumbersAndStrings) {
  Use("m DECIMAL(10,2)");
  EXPECT_EQ(RoundTrip(R"({"m": 12.5})"), R"({"m":12.50})");
  EXPECT_EQ(RoundTrip(R"({"m": "12.5"})"), R"({"m":12.50})");
  EXPECT_EQ(RoundTrip(R"({"m": 7})"), R"({"m":7.00})");
  EXPECT_EQ(RoundTrip(R"({"m": -0.01})"), R"({"m":-0.01})");
  EXPECT_EQ(RoundTrip(R"({"m": 1.5e3})"), R"({"m":1500.00})");
  EXPECT_EQ(RoundTrip(R"({"m": 99999999.99})"), R"({"m":99999999.99})");
  EXPECT_EQ(RoundTrip(R"({"m": 0.10000})"), R"({"m":0.10})");  // zeros past the scale change nothing
}

TEST_F(EncoderTest, ThirtyEightDigitDecimalRoundTripsWithoutRounding) {
  Use("w DECIMAL(38,10), z DECIMAL(38,0)");
  EXPECT_EQ(RoundTrip(R"({"w": 1234567890123456789012345678.0123456789})"),
            R"({"w":1234567890123456789012345678.0123456789,"z":null})");
  EXPECT_EQ(RoundTrip(R"({"z": 99999999999999999999999999999999999999})"),
            R"({"w":null,"z":99999999999999999999999999999999999999})");
  EXPECT_EQ(RoundTrip(R"({"z": "-99999999999999999999999999999999999999"})"),
            R"({"w":null,"z":-99999999999999999999999999999999999999})");
  EXPECT_EQ(RoundTrip(R"({"w": -0.0000000001})"), R"({"w":-0.0000000001,"z":null})");
}

TEST_F(EncoderTest, VarcharKeepsUnicodeAndEscapes) {
  Use("s VARCHAR");
  EXPECT_EQ(RoundTrip(R"({"s": "héllo 🌊 日本"})"), R"({"s":"héllo 🌊 日本"})");
  EXPECT_EQ(RoundTrip(R"({"s": "\u00e9\ud83c\udf0a"})"), R"({"s":"é🌊"})");
  EXPECT_EQ(RoundTrip(R"({"s": "quote \" backslash \\ newline \n tab \t ctl \u0001"})"),
            R"({"s":"quote \" backslash \\ newline \n tab \t ctl \u0001"})");
  EXPECT_EQ(RoundTrip(R"({"s": ""})"), R"({"s":""})");
}

TEST_F(EncoderTest, DateRoundTripsWholeRange) {
  Use("d DATE");
  EXPECT_EQ(RoundTrip(R"({"d": "2024-02-29"})"), R"({"d":"2024-02-29"})");
  EXPECT_EQ(RoundTrip(R"({"d": "0001-01-01"})"), R"({"d":"0001-01-01"})");
  EXPECT_EQ(RoundTrip(R"({"d": "9999-12-31"})"), R"({"d":"9999-12-31"})");
  EXPECT_EQ(RoundTrip(R"({"d": "1969-12-31"})"), R"({"d":"1969-12-31"})");
}

TEST_F(EncoderTest, TimestampStoresUtcMicrosecondsWithoutZoneMarker) {
  Use("t TIMESTAMP");
  EXPECT_EQ(RoundTrip(R"({"t": "2024-05-01T12:00:00"})"), R"({"t":"2024-05-01T12:00:00"})");
  EXPECT_EQ(RoundTrip(R"({"t": "2024-05-01 12:00:00.123456"})"), R"({"t":"2024-05-01T12:00:00.123456"})");
  EXPECT_EQ(RoundTrip(R"({"t": "1969-12-31T23:59:59.999999Z"})"), R"({"t":"1969-12-31T23:59:59.999999"})");
}

TEST_F(EncoderTest, TimestampTzConvertsOffsetsToUtc) {
  Use("tz TIMESTAMPTZ");
  EXPECT_EQ(RoundTrip(R"({"tz": "2024-05-01T12:00:00.123456Z"})"), R"({"tz":"2024-05-01T12:00:00.123456Z"})");
  EXPECT_EQ(RoundTrip(R"({"tz": "2024-05-01T14:30:00+02:30"})"), R"({"tz":"2024-05-01T12:00:00Z"})");
  EXPECT_EQ(RoundTrip(R"({"tz": "2024-05-01T00:00:00.5-0800"})"), R"({"tz":"2024-05-01T08:00:00.500000Z"})");
  EXPECT_EQ(RoundTrip(R"({"tz": "2024-01-01T00:30:00+01"})"), R"({"tz":"2023-12-31T23:30:00Z"})");
}

TEST_F(EncoderTest, JsonColumnStoresAnyValueMinified) {
  Use("j JSON");
  EXPECT_EQ(RoundTrip(R"({"j": { "a" : [1, 2.5e3, "x y", null, true] , "b": {} }})"),
            R"({"j":{"a":[1,2.5e3,"x y",null,true],"b":{}}})");
  EXPECT_EQ(RoundTrip(R"({"j": "text \" \u00e9"})"), R"({"j":"text \" \u00e9"})");
  EXPECT_EQ(RoundTrip(R"({"j": 12.50})"), R"({"j":12.50})");
  EXPECT_EQ(RoundTrip(R"({"j": false})"), R"({"j":false})");
  EXPECT_EQ(RoundTrip(R"({"j": [ ]})"), R"({"j":[]})");
  EXPECT_EQ(RoundTrip(R"({"j": null})"), R"({"j":null})");  // SQL NULL, not the JSON value null
}

TEST_F(EncoderTest, ListRoundTripsWithNullElementsAndNesting) {
  Use("l LIST(BIGINT), ll INTEGER[][], s VARCHAR[]");
  EXPECT_EQ(RoundTrip(R"({"l": [1, null, 3, null, null, null, null, null, 9, null]})"),
            R"({"l":[1,null,3,null,null,null,null,null,9,null],"ll":null,"s":null})");
  EXPECT_EQ(RoundTrip(R"({"l": [], "ll": [[1, 2], [], null, [null, 4]], "s": ["a", null, "ü"]})"),
            R"({"l":[],"ll":[[1,2],[],null,[null,4]],"s":["a",null,"ü"]})");
}

TEST_F(EncoderTest, StructRoundTripsNestedAndInAnyKeyOrder) {
  Use("st STRUCT(a VARCHAR, b DOUBLE[], inner STRUCT(x INTEGER, y DATE)), n BIGINT");
  EXPECT_EQ(RoundTrip(R"({"n": 5, "st": {"inner": {"y": "2024-01-02", "x": 7}, "b": [1.5, null], "a": "q"}})"),
            R"({"st":{"a":"q","b":[1.5,null],"inner":{"x":7,"y":"2024-01-02"}},"n":5})");
  EXPECT_EQ(RoundTrip(R"({"st": {"a": null}})"), R"({"st":{"a":null,"b":null,"inner":null},"n":null})");
  EXPECT_EQ(RoundTrip(R"({"st": {}})"), R"({"st":{"a":null,"b":null,"inner":null},"n":null})");
}

TEST_F(EncoderTest, ListOfStructsRoundTrips) {
  Use("items STRUCT(sku VARCHAR, qty INTEGER, tags VARCHAR[])[]");
  EXPECT_EQ(RoundTrip(R"({"items": [{"qty": 2, "sku": "a"}, null, {"tags": ["x"], "sku": "b"}]})"),
            R"({"items":[{"sku":"a","qty":2,"tags":null},null,{"sku":"b","qty":null,"tags":["x"]}]})");
}

TEST_F(EncoderTest, EveryTypeInOneEventDecodesInColumnOrder) {
  Use("b BOOLEAN, i INTEGER, n BIGINT NOT NULL, d DOUBLE, m DECIMAL(10,2), w DECIMAL(38,10), s VARCHAR, "
      "day DATE, t TIMESTAMP, tz TIMESTAMPTZ, j JSON, l LIST(BIGINT), st STRUCT(a VARCHAR, b LIST(DOUBLE))");
  EXPECT_EQ(RoundTrip(R"({"st": {"b": [0.5], "a": "x"}, "l": [1], "j": {"k": [1]}, "tz": "2024-05-01T12:00:00Z",
                         "t": "2024-05-01T12:00:00", "day": "2024-05-01", "s": "s", "w": 1.5, "m": 2.25,
                         "d": 1.25, "n": 3, "i": 2, "b": true})"),
            R"({"b":true,"i":2,"n":3,"d":1.25,"m":2.25,"w":1.5000000000,"s":"s","day":"2024-05-01",)"
            R"("t":"2024-05-01T12:00:00","tz":"2024-05-01T12:00:00Z","j":{"k":[1]},"l":[1],)"
            R"("st":{"a":"x","b":[0.5]}})");
  EXPECT_EQ(RoundTrip(R"({"n": 1})"),
            R"({"b":null,"i":null,"n":1,"d":null,"m":null,"w":null,"s":null,"day":null,"t":null,"tz":null,)"
            R"("j":null,"l":null,"st":null})");
}

TEST_F(EncoderTest, AppendsOneRecordAfterExistingBytes) {
  Use("a INTEGER");
  Bytes out{std::byte{7}};
  ASSERT_TRUE(Encode(R"({"a": 1})", out).ok());
  ASSERT_TRUE(Encode(R"({"a": 2})", out).ok());
  // Each record: count 1, presence 0b1, int32.
  EXPECT_EQ(out.size(), 1u + 2 * (1 + 1 + 4));
  EXPECT_EQ(out[0], std::byte{7});
}

// --- Nullability ----------------------------------------------------------------------------------

TEST_F(EncoderTest, MissingAndNullNullableColumnsAreNull) {
  Use("a INTEGER, b VARCHAR");
  EXPECT_EQ(RoundTrip(R"({})"), R"({"a":null,"b":null})");
  EXPECT_EQ(RoundTrip(R"({"a": null, "b": "x"})"), R"({"a":null,"b":"x"})");
}

TEST_F(EncoderTest, NotNullColumnRejectsNullAndMissing) {
  Use("id BIGINT NOT NULL, note VARCHAR");
  EXPECT_EQ(Error(R"({"id": null})"), R"(field "id": expected BIGINT NOT NULL, got null)");
  EXPECT_EQ(Error(R"({"note": "x"})"), R"(field "id": expected BIGINT NOT NULL, got nothing (missing))");
  EXPECT_EQ(RoundTrip(R"({"id": 1})"), R"({"id":1,"note":null})");
}

// --- Wrong types are rejected, never coerced ------------------------------------------------------

TEST_F(EncoderTest, WrongTypeNamesFieldExpectedAndFound) {
  Use("user_id BIGINT, ok BOOLEAN, s VARCHAR, l INTEGER[], st STRUCT(a INTEGER), d DATE");
  EXPECT_EQ(Error(R"({"user_id": "one"})"), R"(field "user_id": expected BIGINT, got "one")");
  EXPECT_EQ(Error(R"({"user_id": "1"})"), R"(field "user_id": expected BIGINT, got "1")");
  EXPECT_EQ(Error(R"({"user_id": 1.5})"), R"(field "user_id": expected BIGINT, got 1.5)");
  EXPECT_EQ(Error(R"({"user_id": 1.0})"), R"(field "user_id": expected BIGINT, got 1.0)");
  EXPECT_EQ(Error(R"({"user_id": true})"), R"(field "user_id": expected BIGINT, got true)");
  EXPECT_EQ(Error(R"({"ok": 1})"), R"(field "ok": expected BOOLEAN, got 1)");
  EXPECT_EQ(Error(R"({"s": 12})"), R"(field "s": expected VARCHAR, got 12)");
  EXPECT_EQ(Error(R"({"s": {"a": 1}})"), R"(field "s": expected VARCHAR, got {"a": 1})");
  EXPECT_EQ(Error(R"({"l": 5})"), R"(field "l": expected INTEGER[], got 5)");
  EXPECT_EQ(Error(R"({"l": [1, "2"]})"), R"(field "l[1]": expected INTEGER, got "2")");
  EXPECT_EQ(Error(R"({"st": [1]})"), R"(field "st": expected STRUCT(a INTEGER), got [1])");
  EXPECT_EQ(Error(R"({"st": {"a": false}})"), R"(field "st.a": expected INTEGER, got false)");
  EXPECT_EQ(Error(R"({"d": 20240101})"), R"(field "d": expected DATE, got 20240101)");
}

TEST_F(EncoderTest, NestedErrorPathNamesEveryLevel) {
  Use("o STRUCT(items STRUCT(v BIGINT)[])");
  EXPECT_EQ(Error(R"({"o": {"items": [{"v": 1}, {"v": 2}, {"v": "x"}]}})"),
            R"(field "o.items[2].v": expected BIGINT, got "x")");
}

TEST_F(EncoderTest, IntegerOverflowNamesTheRange) {
  Use("i INTEGER, n BIGINT");
  EXPECT_EQ(Error(R"({"i": 2147483648})"),
            R"(field "i": integer overflow: 2147483648 is out of range for INTEGER (-2147483648 to 2147483647))");
  EXPECT_EQ(Error(R"({"i": -2147483649})"),
            R"(field "i": integer overflow: -2147483649 is out of range for INTEGER (-2147483648 to 2147483647))");
  EXPECT_EQ(Error(R"({"n": 9223372036854775808})"),
            "field \"n\": integer overflow: 9223372036854775808 is out of range for BIGINT "
            "(-9223372036854775808 to 9223372036854775807)");
  EXPECT_EQ(Error(R"({"n": -9223372036854775809})"),
            "field \"n\": integer overflow: -9223372036854775809 is out of range for BIGINT "
            "(-9223372036854775808 to 9223372036854775807)");
  EXPECT_EQ(Error(R"({"n": 123456789012345678901234567890})"),
            "field \"n\": integer overflow: 123456789012345678901234567890 is out of range for BIGINT "
            "(-9223372036854775808 to 9223372036854775807)");
}

TEST_F(EncoderTest, DoubleOutOfRangeIsRejected) {
  Use("d DOUBLE");
  EXPECT_EQ(Error(R"({"d": 1e400})"), R"(field "d": 1e400 is out of range for DOUBLE)");
}

TEST_F(EncoderTest, DecimalRejectsExtraDecimalsOverflowAndNonNumbers) {
  Use("m DECIMAL(5,2)");
  EXPECT_EQ(Error(R"({"m": 1.234})"), R"(field "m": expected DECIMAL(5,2), got 1.234: more than 2 decimal places)");
  EXPECT_EQ(Error(R"({"m": 1234})"),
            R"(field "m": expected DECIMAL(5,2), got 1234: out of range (at most 3 digits before the decimal point))");
  EXPECT_EQ(Error(R"({"m": "12,5"})"), R"(field "m": expected DECIMAL(5,2), got "12,5")");
  EXPECT_EQ(Error(R"({"m": " 1"})"), R"(field "m": expected DECIMAL(5,2), got " 1")");
  EXPECT_EQ(Error(R"({"m": true})"), R"(field "m": expected DECIMAL(5,2), got true)");
}

TEST_F(EncoderTest, DateAndTimestampErrorsSayWhy) {
  Use("d DATE, t TIMESTAMPTZ");
  EXPECT_EQ(Error(R"({"d": "2024-13-01"})"), R"(field "d": expected DATE, got "2024-13-01": month 13 is out of range)");
  EXPECT_EQ(Error(R"({"d": "2023-02-29"})"),
            R"(field "d": expected DATE, got "2023-02-29": day 29 does not exist in 2023-02)");
  EXPECT_EQ(
      Error(R"({"t": "yesterday"})"),
      R"(field "t": expected TIMESTAMPTZ, got "yesterday": not in the form YYYY-MM-DDTHH:MM:SS[.ffffff][Z|±HH:MM])");
  EXPECT_EQ(Error(R"({"t": 1714564800})"), R"(field "t": expected TIMESTAMPTZ, got 1714564800)");
}

// --- Malformed input ------------------------------------------------------------------------------

TEST_F(EncoderTest, MalformedJsonIsRejectedWithReason) {
  Use("a INTEGER, s VARCHAR, j JSON");
  for (std::string_view bad :
       {R"({"a": 1)", R"({"a" 1})", R"({"a": 1,})", R"({"a": tru})", R"({"a": nul})", R"({"s": "unterminated})",
        R"({"s": "bad \q escape"})", R"({"a": 1} {"a": 2})", R"({"a": 1} x)", R"({"a": 01})", R"({"a": -})",
        R"({"a": 1.})", R"({"j": [1, 2})", R"({"j": {"k" 1}})", R"({"j": [1,]})", R"({"j": tru})", R"({"j": "bad \q"})",
        R"({"j": ["\u12"]})", "{\"s\": \"a\tb\"}"}) {
    std::string message = Error(bad);
    EXPECT_NE(message.find("JSON"), std::string::npos) << bad << " → " << message;
  }
}

TEST_F(EncoderTest, EmptyAndBlankInputIsRejected) {
  Use("a INTEGER");
  EXPECT_EQ(Error(""), "the event is empty; expected a JSON object");
  EXPECT_EQ(Error(" \n\t "), "the event is empty; expected a JSON object");
}

TEST_F(EncoderTest, TopLevelMustBeAnObject) {
  Use("a INTEGER");
  EXPECT_EQ(Error("[1, 2]"), "the event must be a JSON object, got [1, 2]");
  EXPECT_EQ(Error(" 5"), "the event must be a JSON object, got 5");
  EXPECT_EQ(Error(R"("x")"), R"(the event must be a JSON object, got "x")");
  EXPECT_EQ(Error("null"), "the event must be a JSON object, got null");
}

TEST_F(EncoderTest, InvalidUtf8IsRejectedAnywhere) {
  Use("s VARCHAR, j JSON");
  EXPECT_NE(Error("{\"s\": \"a\xff\"}").find("UTF-8"), std::string::npos);
  EXPECT_NE(Error("{\"s\": \"\xc3\"}").find("UTF-8"), std::string::npos);          // truncated sequence
  EXPECT_NE(Error("{\"s\": \"\xed\xa0\x80\"}").find("UTF-8"), std::string::npos);  // encoded surrogate
  EXPECT_NE(Error("{\"\xfe\": 1}").find("UTF-8"), std::string::npos);
  EXPECT_NE(Error("{\"j\": {\"k\": \"\xc0\xaf\"}}").find("UTF-8"), std::string::npos);  // overlong
}

TEST_F(EncoderTest, UnpairedSurrogateEscapeIsRejected) {
  Use("s VARCHAR");
  EXPECT_NE(Error(R"({"s": "\ud800"})").find("malformed JSON"), std::string::npos);
}

TEST_F(EncoderTest, DuplicateKeysAreRejected) {
  Use("a INTEGER, st STRUCT(x INTEGER)");
  EXPECT_EQ(Error(R"({"a": 1, "a": 2})"), R"(field "a" appears twice)");
  EXPECT_EQ(Error(R"({"a": null, "a": 2})"), R"(field "a" appears twice)");
  EXPECT_EQ(Error(R"({"a": 1, "\u0061": 2})"), R"(field "a" appears twice)");
  EXPECT_EQ(Error(R"({"st": {"x": 1, "x": 1}})"), R"(field "st.x" appears twice)");
}

TEST_F(EncoderTest, KeysMatchColumnsExactlyAndEscapedKeysAreUnescaped) {
  Use("a INTEGER, \"é x\" INTEGER");
  EXPECT_EQ(RoundTrip(R"({"\u00e9 x": 1, "\u0061": 2})"), R"({"a":2,"é x":1})");
  EXPECT_EQ(Error(R"({"A": 1})"), R"(field "A" is not a column of stream "events")");
}

// --- Deep nesting and large events ----------------------------------------------------------------

std::string Nested(size_t depth, std::string_view open, std::string_view inner, std::string_view close) {
  std::string s;
  for (size_t i = 0; i < depth; ++i) s += open;
  s += inner;
  for (size_t i = 0; i < depth; ++i) s += close;
  return s;
}

TEST_F(EncoderTest, NestingTenThousandDeepGivesCleanErrors) {
  Use("j JSON, l BIGINT[], st STRUCT(a INTEGER)");
  std::string arrays = Nested(10'000, "[", "1", "]");
  std::string objects = Nested(10'000, R"({"a":)", "1", "}");
  EXPECT_EQ(Error(R"({"j": )" + arrays + "}"),
            R"(field "j": malformed JSON: nested too deeply (more than 1024 levels))");
  EXPECT_EQ(Error(R"({"j": )" + objects + "}"),
            R"(field "j": malformed JSON: nested too deeply (more than 1024 levels))");
  EXPECT_NE(Error(R"({"l": )" + arrays + "}").find(R"(field "l[0]": expected BIGINT, got [[[)"), std::string::npos);
  EXPECT_NE(Error(R"({"st": )" + objects + "}").find(R"(field "st.a": expected INTEGER, got {)"), std::string::npos);
  EXPECT_EQ(Error(arrays).substr(0, 35), "the event must be a JSON object, go");
  EXPECT_EQ(Error(objects), R"(field "a" is not a column of stream "events")");
  // Unclosed deep nesting is malformed, not a crash.
  EXPECT_NE(Error(R"({"j": )" + Nested(10'000, "[", "", "")).find("malformed JSON"), std::string::npos);
}

TEST_F(EncoderTest, JsonColumnAcceptsNestingUpToTheLimit) {
  Use("j JSON");
  std::string ok = Nested(1000, "[", "", "]");
  EXPECT_EQ(RoundTrip(R"({"j": )" + ok + "}"), R"({"j":)" + ok + "}");
}

TEST_F(EncoderTest, TenMebibyteLineEncodesWhenWithinLimits) {
  EncoderOptions options;
  options.string_bytes_max = 16u << 20;
  options.record_bytes_max = 16u << 20;
  Use("s VARCHAR, n BIGINT", options);
  std::string big(10u << 20, 'x');
  std::string json = R"({"n": 1, "s": ")" + big + "\"}";
  ASSERT_GE(json.size(), 10u << 20);
  EXPECT_EQ(RoundTrip(json), R"({"s":")" + big + R"(","n":1})");
}

TEST_F(EncoderTest, TenMebibyteLineOfWhitespaceAroundSmallEventEncodes) {
  Use("n BIGINT");
  std::string json = "{\"n\": 1" + std::string(10u << 20, ' ') + "}";
  EXPECT_EQ(RoundTrip(json), R"({"n":1})");
  EXPECT_EQ(RoundTrip(R"({"n": 2})"), R"({"n":2})");  // the encoder dropped its big buffers and still works
}

TEST_F(EncoderTest, TenMebibyteStringGivesSizeErrorUnderDefaultLimits) {
  Use("s VARCHAR, j JSON");
  std::string big(10u << 20, 'x');
  EXPECT_EQ(Error(R"({"s": ")" + big + "\"}"),
            R"(field "s": string of 10485760 bytes exceeds the limit of 1048576 bytes)");
  EXPECT_EQ(Error(R"({"j": [")" + big + "\"]}"),
            R"(field "j": JSON value of 10485764 bytes exceeds the limit of 1048576 bytes)");
}

TEST_F(EncoderTest, EventAndRecordSizeLimitsAreEnforced) {
  EncoderOptions options;
  options.event_bytes_max = 64;
  options.record_bytes_max = 64;
  Use("l BIGINT[]", options);
  std::string long_event = R"({"l": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]})";
  EXPECT_EQ(Error(long_event), "the event is " + std::to_string(long_event.size()) + " bytes; the limit is 64 bytes");
  EXPECT_EQ(Error(R"({"l":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19]})"),
            "the encoded record exceeds the limit of 64 bytes");
  EXPECT_EQ(RoundTrip(R"({"l":[1,2,3,4,5,6]})"), R"({"l":[1,2,3,4,5,6]})");
}

TEST(EncoderOptions, ValidateNamesTheKeyAndRange) {
  EXPECT_TRUE(EncoderOptions::Defaults().Validate().ok());
  EncoderOptions options;
  options.string_bytes_max = 0;
  EXPECT_EQ(options.Validate().message(), "string_bytes_max is 0; allowed: 1 to 4294967296");
}

// --- Unknown fields ---------------------------------------------------------------------------------

TEST_F(EncoderTest, UnknownFieldIsRejectedUnderReject) {
  Use("a INTEGER");
  EXPECT_EQ(Error(R"({"a": 1, "b": 2})"), R"(field "b" is not a column of stream "events")");
  EXPECT_EQ(Error(R"({"b": null})"), R"(field "b" is not a column of stream "events")");
}

TEST_F(EncoderTest, UnknownStructFieldIsAlwaysAnError) {
  EncoderOptions options;
  options.unknown_fields = UnknownFieldPolicy::kReport;
  Use("st STRUCT(a INTEGER)", options);
  EXPECT_EQ(Error(R"({"st": {"a": 1, "zz": 2}})"),
            R"(field "st": unknown field "zz"; STRUCT(a INTEGER) has no such field)");
}

TEST_F(EncoderTest, ReportListsTypedUnknownKeysAndWritesNothing) {
  EncoderOptions options;
  options.unknown_fields = UnknownFieldPolicy::kReport;
  Use("a INTEGER", options);
  Bytes out{std::byte{1}};
  ASSERT_TRUE(Encode(R"({"x": 1, "a": 2, "y": "s", "n": null, "e": [], "z": [null, [null]], "o": {}})", out).ok());
  EXPECT_EQ(info_.unknown_fields, (std::vector<std::string>{"x", "y", "o"}));
  EXPECT_EQ(out, Bytes{std::byte{1}});
}

TEST_F(EncoderTest, ReportWritesRecordWhenUnknownKeysCarryNoType) {
  EncoderOptions options;
  options.unknown_fields = UnknownFieldPolicy::kReport;
  Use("a INTEGER", options);
  EXPECT_EQ(RoundTrip(R"({"n": null, "a": 3, "e": []})"), R"({"a":3})");
  EXPECT_TRUE(info_.unknown_fields.empty());
}

TEST_F(EncoderTest, ReportStillRejectsBadKnownFieldsAndDuplicateUnknownKeys) {
  EncoderOptions options;
  options.unknown_fields = UnknownFieldPolicy::kReport;
  Use("a INTEGER", options);
  EXPECT_EQ(Error(R"({"x": 1, "a": "no"})"), R"(field "a": expected INTEGER, got "no")");
  EXPECT_EQ(Error(R"({"x": 1, "x": 2})"), R"(field "x" appears twice)");
  EXPECT_TRUE(info_.unknown_fields.empty());
}

TEST_F(EncoderTest, ReportSurvivesDeepNestingInUnknownKey) {
  EncoderOptions options;
  options.unknown_fields = UnknownFieldPolicy::kReport;
  Use("a INTEGER", options);
  Bytes out;
  ASSERT_TRUE(Encode(R"({"deep": )" + Nested(10'000, "[", "1", "]") + "}", out).ok());
  EXPECT_EQ(info_.unknown_fields, (std::vector<std::string>{"deep"}));
}

// --- Event time ---------------------------------------------------------------------------------------

TEST_F(EncoderTest, EventTimeComesFromTheEventTimeColumn) {
  Use("ts TIMESTAMPTZ, v INTEGER", EncoderOptions::Defaults(), "ts");
  Bytes out;
  ASSERT_TRUE(Encode(R"({"v": 1, "ts": "1970-01-01T00:00:01.5+00:00"})", out).ok());
  EXPECT_EQ(info_.event_time_us, 1'500'000);
  ASSERT_TRUE(Encode(R"({"v": 1, "ts": null})", out).ok());
  EXPECT_FALSE(info_.event_time_us.has_value());
  ASSERT_TRUE(Encode(R"({"v": 1})", out).ok());
  EXPECT_FALSE(info_.event_time_us.has_value());
}

TEST_F(EncoderTest, NoEventTimeWithoutEventTimeColumn) {
  Use("ts TIMESTAMP");
  Bytes out;
  ASSERT_TRUE(Encode(R"({"ts": "2024-05-01T00:00:00"})", out).ok());
  EXPECT_FALSE(info_.event_time_us.has_value());
}

TEST_F(EncoderTest, EncoderIsReusableAfterErrors) {
  Use("a INTEGER NOT NULL, st STRUCT(x INTEGER)");
  EXPECT_FALSE(RoundTrip(R"({"a": 1, "st": {"x": "bad"}})").empty());
  EXPECT_EQ(Error(R"({"st": {"x": 1}})"), R"(field "a": expected INTEGER NOT NULL, got nothing (missing))");
  EXPECT_EQ(RoundTrip(R"({"st": {"x": 1}, "a": 1})"), R"({"a":1,"st":{"x":1}})");
  EXPECT_EQ(RoundTrip(R"({"a": 2, "st": {"x": 3}})"), R"({"a":2,"st":{"x":3}})");
}

TEST_F(EncoderTest, SchemaIsTheLatestVersion) {
  auto def = std::make_shared<StreamDefinition>();
  def->name = "v";
  def->versions.push_back(Schema{SchemaVersion(1), {Field{"a", Type::Integer(), true}}});
  def->versions.push_back(
      Schema{SchemaVersion(2), {Field{"a", Type::Integer(), true}, Field{"b", Type::Varchar(), true}}});
  JsonRecordEncoder encoder(def, UnknownFieldPolicy::kReject);
  EXPECT_EQ(encoder.schema().version, SchemaVersion(2));
  PaddedEvent event(R"({"b": "x"})");
  Bytes out;
  ASSERT_TRUE(encoder.Encode(event.text(), out, nullptr).ok());
  std::string json;
  ASSERT_TRUE(AppendRecordJson(out, *def->version(SchemaVersion(2)), json).ok());
  EXPECT_EQ(json, R"({"a":null,"b":"x"})");
}

}  // namespace
}  // namespace lagoa::schema
