#include "schema/inference.h"

#include <gtest/gtest.h>

#include <string>

#include "schema/json_encoder.h"

namespace lagoa::schema {
namespace {

// InferFields reads up to kJsonPaddingBytes past the text, so the text lives in a buffer with that
// many spare bytes after it, and only the text is passed.
Result<std::vector<Field>> Infer(std::string_view json, const Schema* current = nullptr) {
  std::string buffer;
  buffer.reserve(json.size() + kJsonPaddingBytes);
  buffer.append(json);
  buffer.append(kJsonPaddingBytes, ' ');
  return InferFields(std::string_view(buffer.data(), json.size()), current);
}

// The type inferred for a single key "v", or nullopt when the value gives none.
std::optional<Type> InferOne(std::string_view value_json) {
  std::string json = "{\"v\": " + std::string(value_json) + "}";
  auto fields = Infer(json);
  EXPECT_TRUE(fields.ok()) << json << ": " << fields.status().ToString();
  if (!fields.ok() || fields->empty()) return std::nullopt;
  EXPECT_EQ(fields->size(), 1u);
  EXPECT_EQ((*fields)[0].name, "v");
  EXPECT_TRUE((*fields)[0].nullable);
  return (*fields)[0].type;
}

std::string InferError(std::string_view json, const Schema* current = nullptr) {
  auto fields = Infer(json, current);
  if (fields.ok()) return "OK";
  EXPECT_EQ(fields.status().code(), StatusCode::kInvalidArgument) << json;
  return fields.status().message();
}

Field F(std::string name, Type type) { return Field{std::move(name), std::move(type), true}; }

TEST(InferFields, ScalarsGetTheirTypes) {
  EXPECT_EQ(InferOne("true"), Type::Boolean());
  EXPECT_EQ(InferOne("false"), Type::Boolean());
  EXPECT_EQ(InferOne("0"), Type::BigInt());
  EXPECT_EQ(InferOne("-17"), Type::BigInt());
  EXPECT_EQ(InferOne("1.5"), Type::Double());
  EXPECT_EQ(InferOne("-0.0"), Type::Double());
  EXPECT_EQ(InferOne("1e3"), Type::Double()) << "an exponent makes it a floating-point number";
  EXPECT_EQ(InferOne("2E-2"), Type::Double());
  EXPECT_EQ(InferOne("\"text\""), Type::Varchar());
  EXPECT_EQ(InferOne("\"\""), Type::Varchar());
  EXPECT_EQ(InferOne("\"2024-05-01T12:00:00Z\""), Type::Varchar()) << "strings are never guessed as timestamps";
  EXPECT_EQ(InferOne("{\"a\": 1}"), Type::Json());
  EXPECT_EQ(InferOne("{}"), Type::Json());
}

TEST(InferFields, IntegersBeyondBigIntBecomeDecimalThenJson) {
  EXPECT_EQ(InferOne("9223372036854775807"), Type::BigInt());
  EXPECT_EQ(InferOne("-9223372036854775808"), Type::BigInt());
  EXPECT_EQ(InferOne("9223372036854775808"), Type::Decimal(38, 0));
  EXPECT_EQ(InferOne("18446744073709551616"), Type::Decimal(38, 0)) << "beyond uint64 too";
  EXPECT_EQ(InferOne(std::string(38, '9')), Type::Decimal(38, 0));
  EXPECT_EQ(InferOne("1" + std::string(38, '0')), Type::Json()) << "39 digits do not fit DECIMAL(38,0)";
  EXPECT_EQ(InferOne("1" + std::string(400, '0')), Type::Json()) << "not even a finite double";
  EXPECT_EQ(InferOne("-9223372036854775809"), Type::Decimal(38, 0));
  EXPECT_EQ(InferOne("-" + std::string(38, '9')), Type::Decimal(38, 0));
  EXPECT_EQ(InferOne("-1" + std::string(38, '0')), Type::Json());
  // The values after a big integer are read as usual.
  auto fields = Infer("{\"a\": [-9223372036854775809, 1, " + std::string(50, '7') + "], \"b\": 1" +
                      std::string(400, '0') + ", \"c\": [" + std::string(39, '5') + ", 2], \"d\": 2}");
  ASSERT_TRUE(fields.ok()) << fields.status().ToString();
  EXPECT_EQ(*fields, (std::vector<Field>{F("a", Type::Json()), F("b", Type::Json()), F("c", Type::Json()),
                                         F("d", Type::BigInt())}));
  auto lists = Infer("{\"a\": [-9223372036854775809, 1], \"b\": [" + std::string(30, '4') + "], \"c\": true}");
  ASSERT_TRUE(lists.ok()) << lists.status().ToString();
  EXPECT_EQ(*lists, (std::vector<Field>{F("a", Type::List(Type::Decimal(38, 0))),
                                        F("b", Type::List(Type::Decimal(38, 0))), F("c", Type::Boolean())}));
  EXPECT_NE(InferError("{\"a\": -0" + std::string(30, '1') + "}").find("malformed JSON"), std::string::npos);
}

TEST(InferFields, ArraysBecomeListsWhenTheirElementsAgree) {
  EXPECT_EQ(InferOne("[1, 2, 3]"), Type::List(Type::BigInt()));
  EXPECT_EQ(InferOne("[\"a\", \"b\"]"), Type::List(Type::Varchar()));
  EXPECT_EQ(InferOne("[true]"), Type::List(Type::Boolean()));
  EXPECT_EQ(InferOne("[1, 2.5]"), Type::List(Type::Double())) << "BIGINT and DOUBLE agree as DOUBLE";
  EXPECT_EQ(InferOne("[2.5, 1]"), Type::List(Type::Double()));
  EXPECT_EQ(InferOne("[1, 9223372036854775808]"), Type::List(Type::Decimal(38, 0)));
  EXPECT_EQ(InferOne("[null, 1, null]"), Type::List(Type::BigInt())) << "nulls do not disagree";
  EXPECT_EQ(InferOne("[[1], [2.5]]"), Type::List(Type::List(Type::Double())));
  EXPECT_EQ(InferOne("[[], [1], null]"), Type::List(Type::List(Type::BigInt())));
  EXPECT_EQ(InferOne("[{\"a\": 1}, {\"b\": \"x\"}]"), Type::List(Type::Json()));
  EXPECT_EQ(InferOne("[[[[1]]]]"), Type::List(Type::List(Type::List(Type::List(Type::BigInt())))));
  EXPECT_EQ(InferOne("[[[[[1]]]]]"), Type::List(Type::List(Type::List(Type::List(Type::Json())))))
      << "lists nest at most 4 levels; deeper arrays are JSON";
}

TEST(InferFields, MixedArraysBecomeJson) {
  EXPECT_EQ(InferOne("[1, \"a\"]"), Type::Json());
  EXPECT_EQ(InferOne("[true, 1]"), Type::Json());
  EXPECT_EQ(InferOne("[1, {\"a\": 1}]"), Type::Json());
  EXPECT_EQ(InferOne("[[1], 1]"), Type::Json());
  EXPECT_EQ(InferOne("[[1], [\"a\"]]"), Type::Json());
  EXPECT_EQ(InferOne("[1.5, 9223372036854775808]"), Type::Json()) << "DOUBLE cannot hold a DECIMAL(38,0) exactly";
  EXPECT_EQ(InferOne("[\"a\", 1, [1, 2], {\"deep\": [[[[[[1]]]]]]}]"), Type::Json())
      << "the rest of a disagreeing array is skipped";
}

TEST(InferFields, NullsAndEmptyArraysAreLeftForALaterEvent) {
  EXPECT_EQ(InferOne("null"), std::nullopt);
  EXPECT_EQ(InferOne("[]"), std::nullopt);
  EXPECT_EQ(InferOne("[null, null]"), std::nullopt);
  EXPECT_EQ(InferOne("[[], [null]]"), std::nullopt);
  auto fields = Infer(R"({"a": null, "b": 1, "c": [], "d": "x"})");
  ASSERT_TRUE(fields.ok()) << fields.status().ToString();
  EXPECT_EQ(*fields, (std::vector<Field>{F("b", Type::BigInt()), F("d", Type::Varchar())}));
  EXPECT_TRUE(Infer("{}")->empty());
}

TEST(InferFields, KeepsTheOrderOfAppearanceAndTheKeysAsWritten) {
  auto fields = Infer(R"({"zeta": 1, "Alpha": "a", "my key": true, "\u00fcn\u00efc\u00f8d\u00e9": 1.5, "a\"b": {}})");
  ASSERT_TRUE(fields.ok()) << fields.status().ToString();
  EXPECT_EQ(*fields,
            (std::vector<Field>{F("zeta", Type::BigInt()), F("Alpha", Type::Varchar()), F("my key", Type::Boolean()),
                                F("ünïcødé", Type::Double()), F("a\"b", Type::Json())}));
}

TEST(InferFields, ExistingColumnsAreSkippedWhateverTheirValue) {
  Schema current{SchemaVersion(1), {Field{"id", Type::BigInt(), false}, F("url", Type::Varchar())}};
  auto fields = Infer(R"({"id": "not a number", "new": 1, "url": null, "other": [1.5]})", &current);
  ASSERT_TRUE(fields.ok()) << fields.status().ToString();
  EXPECT_EQ(*fields, (std::vector<Field>{F("new", Type::BigInt()), F("other", Type::List(Type::Double()))}));
  auto none = Infer(R"({"id": 1, "url": "x"})", &current);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(InferFields, KeysDifferingOnlyInCaseAreErrors) {
  Schema current{SchemaVersion(1), {F("UserId", Type::BigInt())}};
  EXPECT_EQ(InferError(R"({"userid": 1})", &current),
            "field \"userid\" differs only in case from column \"UserId\"; column names are case-insensitive");
  EXPECT_EQ(InferError(R"({"userid": null})", &current).rfind("field \"userid\" differs only in case", 0), 0u)
      << "even when the value is null";
  EXPECT_EQ(InferError(R"({"a": 1, "A": 2})"), "fields \"a\" and \"A\" differ only in case");
  EXPECT_EQ(InferError(R"({"a": 1, "a": 2})"), "field \"a\" appears twice");
  EXPECT_EQ(InferError(R"({"a": null, "a": 2})"), "field \"a\" appears twice");
}

TEST(InferFields, KeysMustBeValidColumnNames) {
  EXPECT_EQ(InferError(R"({"": 1})"), "field \"\": a column name must not be empty");
  EXPECT_EQ(InferError(R"({"a\u0001b": 1})"), "field \"a b\": a column name must not contain control characters");
  std::string long_key(256, 'k');
  std::string message = InferError("{\"" + long_key + "\": 1}");
  EXPECT_EQ(message.rfind("field \"" + std::string(40, 'k') + "…\": column name", 0), 0u) << message;
  EXPECT_EQ(InferError("{\"" + std::string(255, 'k') + "\": 1}"), "OK");
}

TEST(InferFields, RejectsWhatIsNotAJsonObject) {
  EXPECT_EQ(InferError("[1, 2]"), "the event must be a JSON object");
  EXPECT_EQ(InferError("42"), "the event must be a JSON object");
  EXPECT_EQ(InferError("\"text\""), "the event must be a JSON object");
  EXPECT_EQ(InferError("null"), "the event must be a JSON object");
}

TEST(InferFields, RejectsMalformedJson) {
  for (std::string_view json : {"", "   ", "{", "{\"a\": 1", "{\"a\" 1}", "{\"a\": tru}", "{\"a\": nul}",
                                "{\"a\": [1, 2}", "{\"a\": 01}", "{\"a\": -}", "{\"a\": \"unterminated}", "{\"a\": 1,}",
                                "{a: 1}", "{\"a\": 1.}", "{\"a\": [1 2]}", "{\"a\": \"\\x\"}"}) {
    std::string message = InferError(json);
    EXPECT_NE(message, "OK") << json;
    // Errors inside a value name its key: 'field "a": malformed JSON: invalid number'.
    EXPECT_NE(message.find("malformed JSON"), std::string::npos) << json << " → " << message;
  }
  std::string trailing = InferError(R"({"a": 1} {"b": 2})");
  EXPECT_EQ(trailing.rfind("malformed JSON", 0), 0u) << trailing;
  EXPECT_NE(trailing.find("follows"), std::string::npos) << trailing;
  EXPECT_EQ(InferError(std::string_view("{\"a\": \"\xff\"}", 10)).rfind("malformed JSON", 0), 0u);
  EXPECT_EQ(InferError("  {\"a\": 1}  "), "OK") << "surrounding whitespace is fine";
}

TEST(InferFields, AParserReusedAcrossEventsOfAnySize) {
  std::string big = "{\"big\": \"" + std::string(2 << 20, 'x') + "\", \"n\": 1}";
  auto fields = Infer(big);
  ASSERT_TRUE(fields.ok()) << fields.status().ToString();
  EXPECT_EQ(*fields, (std::vector<Field>{F("big", Type::Varchar()), F("n", Type::BigInt())}));
  // The thread's parser still works for small events afterwards.
  EXPECT_EQ(InferOne("[1]"), Type::List(Type::BigInt()));
}

}  // namespace
}  // namespace lagoa::schema
